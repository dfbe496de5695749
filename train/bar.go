package train

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/term"
)

// Bar is a Progress that draws on a writer (stderr, usually): on a
// terminal a tqdm-like bar redrawn in place with \r,
//
//	epoch 0:  45%|████▌     | 422/938 [00:03<00:04, 130.51it/s]
//
// and otherwise plain lines, about one per tenth of the work, never \r:
//
//	epoch 0: 422/938 (45%) 3.2s 130.5 it/s
type Bar struct {
	// Terminal draws a bar with \r rather than lines.
	Terminal bool
	// Leave keeps a finished bar on the terminal (else it is erased).
	Leave bool

	w   io.Writer
	now func() time.Time // the clock (a fake one in tests)
	// minInterval is the least time between two redraws of the bar.
	minInterval time.Duration

	desc      string
	total     int
	done      int
	start     time.Time
	lastDraw  time.Time
	lastWidth int // runes of the bar line drawn last
	lastTenth int // plain: the last tenth printed
	lastPrint int // plain: the count printed last (-1: none)
	active    bool
	drawnDone int // terminal: the count drawn last
}

const barWidth = 10

// NewBar returns the progress display for w: a bar if w is a terminal,
// plain lines otherwise, kept when finished.
func NewBar(w io.Writer) *Bar {
	return &Bar{w: w, Terminal: isTerminal(w), Leave: true, now: time.Now, minInterval: 100 * time.Millisecond}
}

// isTerminal reports whether w is a terminal (not a file, pipe or
// /dev/null).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Start begins a task of total steps.
func (p *Bar) Start(desc string, total int) {
	p.desc, p.total, p.done = desc, total, 0
	p.start = p.now()
	p.lastWidth, p.lastTenth, p.lastPrint = 0, 0, -1
	p.active = true
	if p.Terminal {
		p.draw()
	}
}

// Update reports that done steps are finished.
func (p *Bar) Update(done int) {
	if !p.active {
		return
	}
	p.done = done
	if p.Terminal {
		if done >= p.total || p.now().Sub(p.lastDraw) >= p.minInterval {
			p.draw()
		}
		return
	}
	if p.total <= 0 {
		return
	}
	if tenth := done * 10 / p.total; tenth > p.lastTenth || done >= p.total && p.lastPrint != done {
		p.lastTenth = tenth
		p.printLine()
	}
}

// Finish ends the task, showing where it stopped.
func (p *Bar) Finish() {
	if !p.active {
		return
	}
	p.active = false
	if p.Terminal {
		if p.done != p.drawnDone {
			p.draw()
		}
		if p.Leave {
			fmt.Fprint(p.w, "\n")
		} else {
			fmt.Fprint(p.w, "\r"+strings.Repeat(" ", p.lastWidth)+"\r")
		}
		return
	}
	if p.lastPrint != p.done {
		p.printLine()
	}
}

// rate returns steps per second so far, 0 if unknown.
func (p *Bar) rate(elapsed time.Duration) float64 {
	if p.done <= 0 || elapsed <= 0 {
		return 0
	}
	return float64(p.done) / elapsed.Seconds()
}

func (p *Bar) percent() int {
	if p.total <= 0 {
		return 100
	}
	return int(math.Round(100 * float64(p.done) / float64(p.total)))
}

func (p *Bar) printLine() {
	elapsed := p.now().Sub(p.start)
	fmt.Fprintf(p.w, "%s: %d/%d (%d%%) %.1fs %.1f it/s\n",
		p.desc, p.done, p.total, p.percent(), elapsed.Seconds(), p.rate(elapsed))
	p.lastPrint = p.done
}

func (p *Bar) draw() {
	now := p.now()
	p.lastDraw, p.drawnDone = now, p.done
	line := p.barLine(now.Sub(p.start))
	n := utf8.RuneCountInString(line)
	pad := ""
	if n < p.lastWidth {
		pad = strings.Repeat(" ", p.lastWidth-n)
	}
	fmt.Fprint(p.w, "\r"+line+pad)
	p.lastWidth = n
}

// barLine formats the bar as tqdm does.
func (p *Bar) barLine(elapsed time.Duration) string {
	frac := 1.0
	if p.total > 0 {
		frac = min(max(float64(p.done)/float64(p.total), 0), 1)
	}
	remaining, rate := "?", "?it/s"
	if r := p.rate(elapsed); r > 0 {
		remaining = formatInterval(time.Duration(float64(p.total-p.done) / r * float64(time.Second)))
		if r >= 1 {
			rate = fmt.Sprintf("%.2fit/s", r)
		} else {
			rate = fmt.Sprintf("%.2fs/it", 1/r)
		}
	}
	return fmt.Sprintf("%s: %3d%%|%s| %d/%d [%s<%s, %s]",
		p.desc, int(math.Round(100*frac)), bar(frac, barWidth), p.done, p.total, formatInterval(elapsed), remaining, rate)
}

// bar draws frac of width cells with eighth blocks, as tqdm.
func bar(frac float64, width int) string {
	const partial = " ▏▎▍▌▋▊▉"
	eighths := int(frac * float64(width) * 8)
	full, rem := eighths/8, eighths%8
	var b strings.Builder
	b.WriteString(strings.Repeat("█", full))
	cells := full
	if full < width {
		if rem > 0 {
			b.WriteRune([]rune(partial)[rem])
			cells++
		}
		b.WriteString(strings.Repeat(" ", width-cells))
	}
	return b.String()
}

// formatInterval prints a duration as tqdm: MM:SS, or H:MM:SS from an
// hour.
func formatInterval(d time.Duration) string {
	s := int(d / time.Second)
	m, s := s/60, s%60
	h, m := m/60, m%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%02d:%02d", m, s)
}
