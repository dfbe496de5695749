package train

import "testing"

func TestFormatConfusion(t *testing.T) {
	ev := Evaluation{Correct: 1004, Total: 1012, Confusion: [][]int{{1000, 2, 0}, {3, 4, 0}, {0, 3, 0}}}
	want := "confusion matrix (rows: true class, columns: predicted class)\n" +
		"true\\pred    0    1    2\n" +
		"        0 1000    2    0\n" +
		"        1    3    4    0\n" +
		"        2    0    3    0\n"
	if got := ev.FormatConfusion(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	wantAcc := "class 0: 0.9980 (1002 images)\nclass 1: 0.5714 (7 images)\nclass 2: 0.0000 (3 images)\n"
	if got := ev.FormatClasses(); got != wantAcc {
		t.Errorf("got\n%s\nwant\n%s", got, wantAcc)
	}
}

func TestFormatNamedClasses(t *testing.T) {
	ev := Evaluation{Confusion: [][]int{{3, 1}, {0, 4}}}
	if got, want := ev.FormatNamedClasses([]string{"cat", "horse"}), "class 0 cat  : 0.7500 (4 images)\nclass 1 horse: 1.0000 (4 images)\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := ev.FormatNamedClasses([]string{"0", "1"}), ev.FormatClasses(); got != want {
		t.Errorf("digits: got %q, want %q", got, want)
	}
}
