module github.com/wsssim/wsssim

go 1.26

require (
	github.com/stretchr/testify v1.12.1
	golang.org/x/sys v0.50.0
	pgregory.net/rapid v1.3.0
)
