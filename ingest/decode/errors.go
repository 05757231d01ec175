package decode

// #include "av.h"
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

var (
	// ErrClosed is returned by a Decoder used after Close.
	ErrClosed = errors.New("decode: decoder is closed")
	// ErrTooLarge is returned for an access unit over MaxAccessUnitSize.
	ErrTooLarge = errors.New("decode: access unit too large")
)

// AVError is a libav return code with its av_strerror text.
type AVError struct {
	Op   string // the libav call that failed
	Code int    // negative AVERROR code
	Text string // av_strerror
}

func (e *AVError) Error() string {
	return fmt.Sprintf("decode: %s: %s (%d)", e.Op, e.Text, e.Code)
}

func avError(op string, code C.int) error {
	var buf [128]C.char
	C.vigil_strerror(code, &buf[0], C.size_t(len(buf)))
	return &AVError{Op: op, Code: int(code), Text: C.GoString((*C.char)(unsafe.Pointer(&buf[0])))}
}
