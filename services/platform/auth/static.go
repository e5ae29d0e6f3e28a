package auth

import (
	"context"
	"crypto/subtle"
	"errors"
)

// StaticTokens verifies tokens from a fixed table: the development tokens
// and tests. Comparison takes the same time whatever the token.
type StaticTokens map[string]Principal

// ErrUnknownToken is a token no verifier knows.
var ErrUnknownToken = errors.New("unknown token")

// Verify implements Verifier.
func (s StaticTokens) Verify(_ context.Context, token string) (Principal, error) {
	var found Principal
	ok := 0
	for t, p := range s {
		if subtle.ConstantTimeCompare([]byte(t), []byte(token)) == 1 {
			found, ok = p, 1
		}
	}
	if ok == 0 {
		return Principal{}, ErrUnknownToken
	}
	return found, nil
}
