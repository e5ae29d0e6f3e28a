package domain

import (
	"crypto/sha256"
	"encoding/base32"
)

// crockford is Crockford's base-32 alphabet: no I, L, O or U, so a reference
// read out over the phone is not misheard.
var crockford = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// ReferenceFor derives the customer-facing reference of a complaint from its id.
func ReferenceFor(complaintID string) string {
	sum := sha256.Sum256([]byte(complaintID))
	return "CMP-" + crockford.EncodeToString(sum[:5])
}
