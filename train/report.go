package train

import (
	"fmt"
	"strconv"
	"strings"
)

// FormatClasses prints one line per class: "class 0: 0.9918 (980 images)".
func (ev Evaluation) FormatClasses() string {
	var b strings.Builder
	acc := ev.ClassAccuracy()
	width := len(strconv.Itoa(len(acc) - 1))
	for c, row := range ev.Confusion {
		n := 0
		for _, v := range row {
			n += v
		}
		fmt.Fprintf(&b, "class %*d: %.4f (%d images)\n", width, c, acc[c], n)
	}
	return b.String()
}

// FormatConfusion prints the confusion matrix as aligned text under a
// title line: one row per true class, one column per predicted class.
func (ev Evaluation) FormatConfusion() string {
	conf := ev.Confusion
	var b strings.Builder
	const corner = "true\\pred"
	width := len(strconv.Itoa(max(len(conf)-1, 0)))
	for _, row := range conf {
		for _, v := range row {
			width = max(width, len(strconv.Itoa(v)))
		}
	}
	fmt.Fprintf(&b, "confusion matrix (rows: true class, columns: predicted class)\n")
	fmt.Fprintf(&b, "%s", corner)
	for p := range conf {
		fmt.Fprintf(&b, " %*d", width, p)
	}
	b.WriteString("\n")
	for t, row := range conf {
		fmt.Fprintf(&b, "%*d", len(corner), t)
		for _, v := range row {
			fmt.Fprintf(&b, " %*d", width, v)
		}
		b.WriteString("\n")
	}
	return b.String()
}
