//go:build !linux

package mnist

// adviseHugePages does nothing: huge-page advice is Linux's.
func adviseHugePages(buf []byte) {}
