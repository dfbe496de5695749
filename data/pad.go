package data

// Pad returns ds with every C×H×W example surrounded by pad zeros on each
// side, giving C×(H+2pad)×(W+2pad): MNIST's 28×28 digits become the 32×32
// images that VGG's five poolings need.
func Pad(ds Dataset, pad int) Dataset {
	if pad <= 0 {
		return ds
	}
	s := ds.Shape()
	if len(s) != 3 {
		panic("data.Pad: examples must be C×H×W")
	}
	return &padded{ds: ds, pad: pad, c: s[0], h: s[1], w: s[2], buf: make([]float32, s[0]*s[1]*s[2])}
}

type padded struct {
	ds      Dataset
	pad     int
	c, h, w int
	buf     []float32
}

func (p *padded) Len() int { return p.ds.Len() }

func (p *padded) Shape() []int { return []int{p.c, p.h + 2*p.pad, p.w + 2*p.pad} }

func (p *padded) Example(i int, dst []float32) int {
	label := p.ds.Example(i, p.buf)
	ph, pw := p.h+2*p.pad, p.w+2*p.pad
	clear(dst[:p.c*ph*pw])
	for c := 0; c < p.c; c++ {
		for y := 0; y < p.h; y++ {
			copy(dst[(c*ph+y+p.pad)*pw+p.pad:], p.buf[(c*p.h+y)*p.w:(c*p.h+y+1)*p.w])
		}
	}
	return label
}
