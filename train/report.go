package train

import (
	"fmt"
	"strconv"
	"strings"
)

// FormatClasses prints one line per class: "class 0: 0.9918 (980 images)".
func (ev Evaluation) FormatClasses() string { return ev.FormatNamedClasses(nil) }

// FormatNamedClasses is FormatClasses with each class's name after its
// number where names has one other than the number ("class 7 seven:
// 0.9961 (50 images)").
func (ev Evaluation) FormatNamedClasses(names []string) string {
	var b strings.Builder
	acc := ev.ClassAccuracy()
	width := len(strconv.Itoa(len(acc) - 1))
	nameWidth := 0
	for c, name := range names {
		if name != strconv.Itoa(c) {
			nameWidth = max(nameWidth, len(name))
		}
	}
	for c, row := range ev.Confusion {
		n := 0
		for _, v := range row {
			n += v
		}
		label := fmt.Sprintf("%*d", width, c)
		if nameWidth > 0 && c < len(names) {
			label += fmt.Sprintf(" %-*s", nameWidth, names[c])
		}
		fmt.Fprintf(&b, "class %s: %.4f (%d images)\n", label, acc[c], n)
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
