package train

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestProgress(term bool) (*Bar, *bytes.Buffer, *fakeClock) {
	var buf bytes.Buffer
	clock := &fakeClock{t: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	p := NewBar(&buf)
	p.Terminal, p.now = term, clock.now
	return p, &buf, clock
}

func TestProgressBar(t *testing.T) {
	p, buf, clock := newTestProgress(true)
	p.Start("epoch 0", 938)
	if got, want := buf.String(), "\repoch 0:   0%|          | 0/938 [00:00<?, ?it/s]"; got != want {
		t.Errorf("start:\n%q\nwant\n%q", got, want)
	}
	buf.Reset()
	clock.advance(3200 * time.Millisecond)
	p.Update(422)
	// 422 in 3.2 s: 131.875 it/s, 516 left: 3.9 s.
	if got, want := buf.String(), "\repoch 0:  45%|████▍     | 422/938 [00:03<00:03, 131.88it/s]"; got != want {
		t.Errorf("update:\n%q\nwant\n%q", got, want)
	}
	// Within the redraw interval nothing is drawn.
	buf.Reset()
	clock.advance(50 * time.Millisecond)
	p.Update(430)
	if buf.Len() != 0 {
		t.Errorf("redrawn within 100ms: %q", buf.String())
	}
	clock.advance(3750 * time.Millisecond)
	p.Update(938)
	p.Finish()
	if got, want := buf.String(), "\repoch 0: 100%|██████████| 938/938 [00:07<00:00, 134.00it/s]\n"; got != want {
		t.Errorf("finish:\n%q\nwant\n%q", got, want)
	}
}

func TestProgressBarShorterLineIsPadded(t *testing.T) {
	p, buf, clock := newTestProgress(true)
	p.Start("e", 10)
	clock.advance(20 * time.Second)
	p.Update(2)
	long := buf.String()[strings.LastIndex(buf.String(), "\r"):]
	if !strings.HasSuffix(long, "| 2/10 [00:20<01:20, 10.00s/it]") {
		t.Errorf("slow rate not shown as s/it: %q", long)
	}
	clock.advance(100 * time.Millisecond)
	p.Update(9) // "2/10" -> "9/10", "10.00s/it" -> "2.23s/it": one rune shorter
	short := buf.String()[strings.LastIndex(buf.String(), "\r"):]
	if strings.Contains(buf.String(), "\n") {
		t.Errorf("newline before Finish: %q", buf.String())
	}
	if !strings.HasSuffix(short, "2.23s/it] ") || len([]rune(short)) != len([]rune(long)) {
		t.Errorf("shorter line not padded over the longer one:\n%q\n%q", long, short)
	}
}

func TestProgressBarErased(t *testing.T) {
	p, buf, _ := newTestProgress(true)
	p.Leave = false
	p.Start("eval", 2)
	p.Update(2)
	p.Finish()
	if s := buf.String(); strings.Contains(s, "\n") || !strings.HasSuffix(s, "\r") {
		t.Errorf("transient bar not erased: %q", s)
	}
}

func TestProgressPlain(t *testing.T) {
	p, buf, clock := newTestProgress(false)
	p.Start("epoch 0", 938)
	for i := 1; i <= 938; i++ {
		clock.advance(10 * time.Millisecond)
		p.Update(i)
	}
	p.Finish()
	out := buf.String()
	if strings.Contains(out, "\r") {
		t.Errorf("plain output has \\r: %q", out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 10 {
		t.Errorf("want a line per tenth, got %d:\n%s", len(lines), out)
	}
	if lines[0] != "epoch 0: 94/938 (10%) 0.9s 100.0 it/s" {
		t.Errorf("first line %q", lines[0])
	}
	if lines[4] != "epoch 0: 469/938 (50%) 4.7s 100.0 it/s" {
		t.Errorf("fifth line %q", lines[4])
	}
	if lines[9] != "epoch 0: 938/938 (100%) 9.4s 100.0 it/s" {
		t.Errorf("last line %q", lines[9])
	}
}

func TestProgressPlainInterrupted(t *testing.T) {
	p, buf, clock := newTestProgress(false)
	p.Start("epoch 2", 100)
	clock.advance(2 * time.Second)
	p.Update(15)
	clock.advance(time.Second)
	p.Update(17)
	p.Finish()
	want := "epoch 2: 15/100 (15%) 2.0s 7.5 it/s\nepoch 2: 17/100 (17%) 3.0s 5.7 it/s\n"
	if got := buf.String(); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	// Updates after Finish are ignored.
	buf.Reset()
	p.Update(50)
	p.Finish()
	if buf.Len() != 0 {
		t.Errorf("output after Finish: %q", buf.String())
	}
}

func TestBarAndInterval(t *testing.T) {
	for _, c := range []struct {
		frac float64
		want string
	}{
		{0, "          "},
		{0.45, "████▌     "},
		{0.99, "█████████▉"},
		{1, "██████████"},
	} {
		if got := bar(c.frac, 10); got != c.want {
			t.Errorf("bar(%v) = %q, want %q", c.frac, got, c.want)
		}
	}
	for d, want := range map[time.Duration]string{0: "00:00", 3900 * time.Millisecond: "00:03", 754 * time.Second: "12:34", 3723 * time.Second: "1:02:03"} {
		if got := formatInterval(d); got != want {
			t.Errorf("formatInterval(%v) = %q, want %q", d, got, want)
		}
	}
	if isTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is a terminal")
	}
}
