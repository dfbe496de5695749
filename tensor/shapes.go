package tensor

import (
	"strconv"
	"strings"
)

// Numel is the number of elements of a tensor of the given shape: the
// product of its dimensions (1 for no dimensions). It panics on a
// negative dimension.
func Numel(shape []int) int { return numel(shape) }

// FormatShape prints a shape as PyTorch prints a list: [1, 6, 28, 28].
func FormatShape(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = strconv.Itoa(d)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
