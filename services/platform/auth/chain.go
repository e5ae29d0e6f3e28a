package auth

import (
	"context"
	"errors"
)

// Chain tries each verifier in turn and returns the first principal one
// vouches for: development or static tokens, customer tokens, OIDC.
type Chain []Verifier

// Verify implements Verifier. When every verifier refuses, the error is
// ErrUnknownToken joined with theirs.
func (c Chain) Verify(ctx context.Context, token string) (Principal, error) {
	var errs []error
	for _, v := range c {
		if v == nil {
			continue
		}
		p, err := v.Verify(ctx, token)
		if err == nil {
			return p, nil
		}
		errs = append(errs, err)
	}
	return Principal{}, errors.Join(append([]error{ErrUnknownToken}, errs...)...)
}
