package checkpoint

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/convnet/convnet/pth"
	"github.com/convnet/convnet/safetensors"
)

// ReadFile reads the named tensors of a checkpoint in either format it
// knows, told apart by their first bytes, not their names: a safetensors
// file (its metadata with it), or a torch.save() file (.pth, .pt: a zip
// of a pickled state_dict, read without running any of it; see package
// pth), whose metadata is empty.
func ReadFile(path string) (*safetensors.File, error) {
	if isTorchZip(path) {
		f, err := pth.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("checkpoint: %w", err)
		}
		if f.Metadata == nil {
			f.Metadata = map[string]string{}
		}
		return f, nil
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	return f, nil
}

// WriteFile writes named tensors in the format path's extension names:
// torch.save's for .pth and .pt (which torch.load reads into an
// OrderedDict; the metadata is left out), safetensors otherwise. The file
// appears whole or not at all.
func WriteFile(path string, f *safetensors.File) error {
	if IsTorchName(path) {
		return pth.WriteFile(path, f)
	}
	return safetensors.WriteFile(path, f)
}

// IsTorchName reports whether a file name is one of torch.save's (.pth,
// .pt).
func IsTorchName(path string) bool {
	p := strings.ToLower(path)
	return strings.HasSuffix(p, ".pth") || strings.HasSuffix(p, ".pt")
}

// isTorchZip reports whether the file at path starts as a zip archive
// does, which a torch.save() file is and a safetensors file is not; an
// unreadable file is left to the safetensors reader to report.
func isTorchZip(path string) bool {
	file, err := os.Open(path)
	if err != nil {
		return false
	}
	defer file.Close()
	if st, err := file.Stat(); err != nil || !st.Mode().IsRegular() {
		return false
	}
	head := make([]byte, 4)
	if _, err := io.ReadFull(file, head); err != nil {
		return false
	}
	return bytes.Equal(head, []byte("PK\x03\x04"))
}

// Rename returns f with its tensors renamed by names (a key not in names
// keeps its name), in the same order; the metadata is shared.
func Rename(f *safetensors.File, names map[string]string) *safetensors.File {
	out := &safetensors.File{Metadata: f.Metadata, Tensors: make(map[string]safetensors.Tensor, len(f.Tensors))}
	for _, k := range f.Names {
		n := k
		if to, ok := names[k]; ok {
			n = to
		}
		out.Names = append(out.Names, n)
		out.Tensors[n] = f.Tensors[k]
	}
	return out
}
