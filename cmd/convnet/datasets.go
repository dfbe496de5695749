package main

import (
	"errors"

	"github.com/convnet/convnet/datasets"
	"github.com/convnet/convnet/models"
)

// fitPipeline fits model spec to a data set (see datasets.Fit), as a usage
// error naming the flag at fault.
func fitPipeline(spec models.Spec, dataset string) (datasets.Pipeline, error) {
	p, err := datasets.Fit(spec, dataset)
	var fe *datasets.FitError
	switch {
	case errors.Is(err, datasets.ErrUnknown):
		return p, usagef("--dataset: %v", err)
	case errors.As(err, &fe):
		return p, usagef("--model %v", err)
	}
	return p, err
}
