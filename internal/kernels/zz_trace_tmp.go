package kernels

import "time"

var ConvTrace func(p Conv, d time.Duration)
