package onvif

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"
)

// callError gives a plain message and still answers errors.Is for both its
// kind (ErrTimeout, ErrAuth, ...) and the cause underneath.
type callError struct {
	msg   string
	kind  error
	cause error
}

func (e *callError) Error() string { return e.msg }

func (e *callError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

func hostOf(xaddr string) string {
	if u, err := url.Parse(xaddr); err == nil && u.Host != "" {
		return u.Host
	}
	return xaddr
}

// transportError names what went wrong with the connection in the words an
// operator needs: timed out, unreachable, or cancelled by us.
func transportError(parent context.Context, op, xaddr string, timeout time.Duration, err error) error {
	where := fmt.Sprintf("onvif: %s at %s", op, hostOf(xaddr))
	if perr := parent.Err(); perr != nil {
		return fmt.Errorf("%s: %w", where, perr)
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return &callError{
			msg:  fmt.Sprintf("%s: camera did not answer within %v", where, timeout),
			kind: ErrTimeout, cause: err,
		}
	}
	var oe *net.OpError
	var de *net.DNSError
	if errors.As(err, &oe) && oe.Op == "dial" || errors.As(err, &de) {
		return &callError{
			msg:  fmt.Sprintf("%s: camera unreachable: %v", where, err),
			kind: ErrUnreachable, cause: err,
		}
	}
	return fmt.Errorf("%s: %w", where, err)
}
