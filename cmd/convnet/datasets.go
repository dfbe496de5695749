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
	return p, fitError(err)
}

// fitError makes an error of fitting a model to a data set a usage error
// naming the flag at fault (--dataset or --model).
func fitError(err error) error {
	var fe *datasets.FitError
	switch {
	case errors.Is(err, datasets.ErrUnknown):
		return usagef("--dataset: %v", err)
	case errors.As(err, &fe):
		return usagef("--model %v", err)
	}
	return err
}
