//go:build windows

package errors_test

import (
	stderrors "errors"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/wsssim/wsssim/errors"
)

func TestIsMatchesSyscallErrnoOnWindows(t *testing.T) {
	assert.True(t, stderrors.Is(errors.WSAECONNREFUSED, syscall.Errno(10061)))
	assert.False(t, stderrors.Is(errors.WSAECONNREFUSED, syscall.Errno(10060)))
}
