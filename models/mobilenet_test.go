package models_test

import (
	"testing"

	"github.com/convnet/convnet/models"
)

func TestInvertedResidualMatchesPyTorch(t *testing.T) {
	ref := zooRef(t)
	runBlock(t, ref, "invres", models.NewInvertedResidual(8, 8, 1, 6))
	runBlock(t, ref, "invres_s2", models.NewInvertedResidual(8, 16, 2, 6))
	runBlock(t, ref, "invres_t1", models.NewInvertedResidual(16, 8, 1, 1))
}
