module github.com/convnet/convnet/internal/kernels/_generate

go 1.26
