package checkpoint

import (
	"fmt"
	"slices"
	"strings"

	"github.com/convnet/convnet/nn"
	"github.com/convnet/convnet/safetensors"
)

// LoadReport says what LoadMatching did with each state_dict key, as
// PyTorch's load_state_dict(strict=False) reports missing and unexpected
// keys.
type LoadReport struct {
	// Loaded lists the model's keys that took the file's values.
	Loaded []string
	// Missing lists the model's keys the file lacks, or that the filter
	// left out: they keep their values.
	Missing []string
	// Mismatched lists the model's keys whose tensor in the file has
	// another shape (a classifier head for another number of classes):
	// they keep their values. Each entry reads "key: file shape [a b],
	// model [c d]".
	Mismatched []string
	// Unexpected lists the file's keys the model does not have.
	Unexpected []string
}

// LoadMatching reads the checkpoint at path into the parameters and
// buffers of m that it matches: every state_dict key of m that the file
// holds with the same shape, and that keep accepts (nil keeps all). The
// rest keep their values and are listed in the report, so that weights
// trained for another number of classes initialise all but the new head
// (fine-tuning). Values are checked (dtype, finite numbers) before any is
// copied: on an error m is unchanged.
func LoadMatching(path string, m nn.Module, keep func(key string) bool) (LoadReport, error) {
	f, err := ReadFile(path)
	if err != nil {
		return LoadReport{}, err
	}
	return LoadMatchingTensors(path, f, m, keep)
}

// LoadMatchingTensors is LoadMatching of the tensors f, read from path
// (which errors name).
func LoadMatchingTensors(path string, f *safetensors.File, m nn.Module, keep func(key string) bool) (LoadReport, error) {
	var r LoadReport
	state := m.ModuleBase().StateDict()
	values := make([][]float32, len(state))
	known := map[string]bool{}
	for i, p := range state {
		known[p.Name] = true
		t, ok := f.Tensors[p.Name]
		switch {
		case !ok || (keep != nil && !keep(p.Name)):
			r.Missing = append(r.Missing, p.Name)
			continue
		case isCounter(p.Name) && t.DType == "I64":
			v, err := countValue(path, p.Name, t)
			if err != nil {
				return LoadReport{}, err
			}
			values[i] = v
		case !slices.Equal(t.Shape, p.Tensor.Shape()):
			r.Mismatched = append(r.Mismatched, fmt.Sprintf("%s: file shape %v, model %v", p.Name, t.Shape, p.Tensor.Shape()))
			continue
		case t.DType != "F32":
			return LoadReport{}, fmt.Errorf("checkpoint: %s: tensor %q has dtype %s, want F32", path, p.Name, t.DType)
		default:
			v, err := finiteValues(path, p.Name, t)
			if err != nil {
				return LoadReport{}, err
			}
			values[i] = v
		}
		r.Loaded = append(r.Loaded, p.Name)
	}
	for _, name := range f.Names {
		if !known[name] {
			r.Unexpected = append(r.Unexpected, name)
		}
	}
	for i, p := range state {
		if values[i] != nil {
			copy(p.Tensor.Data(), values[i])
		}
	}
	return r, nil
}

// Summary is the report in one line, for a command to print: how many
// tensors were loaded, and which were not and why.
func (r LoadReport) Summary() string {
	s := fmt.Sprintf("loaded %d tensors", len(r.Loaded))
	if len(r.Mismatched) > 0 {
		s += "; kept the model's own for " + strings.Join(r.Mismatched, "; ")
	}
	if len(r.Missing) > 0 {
		s += fmt.Sprintf("; %d not in the file or left out: %s", len(r.Missing), abbreviate(r.Missing))
	}
	if len(r.Unexpected) > 0 {
		s += fmt.Sprintf("; %d in the file not in the model: %s", len(r.Unexpected), abbreviate(r.Unexpected))
	}
	return s
}

// abbreviate lists up to four names, then how many more.
func abbreviate(names []string) string {
	if len(names) <= 4 {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:4], ", "), len(names)-4)
}
