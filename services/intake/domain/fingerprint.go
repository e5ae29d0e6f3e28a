package domain

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// NormaliseEmail is the form of an e-mail address that is fingerprinted:
// trimmed and lower-cased, so "Ann@Example.com " and "ann@example.com" are
// the same customer.
func NormaliseEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// NormalisePhone keeps a phone number's digits and a leading "+", so
// "+44 (0)20 7946-0000" and "+440207946 0000" match.
func NormalisePhone(phone string) string {
	var b strings.Builder
	for i, r := range strings.TrimSpace(phone) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Fingerprint is the keyed fingerprint (HMAC-SHA-256, hex) of a customer's
// normalised e-mail address, or of their phone number when they gave no
// e-mail address; "" when they gave neither. Without the key, a fingerprint
// cannot be checked against a guessed address.
func Fingerprint(key []byte, email, phone string) string {
	var value string
	switch {
	case NormaliseEmail(email) != "":
		value = "email:" + NormaliseEmail(email)
	case NormalisePhone(phone) != "":
		value = "phone:" + NormalisePhone(phone)
	default:
		return ""
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}

// CustomerKey is the id a customer is indexed, sealed and erased under: the
// company's customer id when the submission carries one, else "fp-" and the
// fingerprint of their e-mail address or phone number.
func CustomerKey(customerID, fingerprint string) string {
	if customerID != "" {
		return customerID
	}
	if fingerprint == "" {
		return ""
	}
	return "fp-" + fingerprint
}
