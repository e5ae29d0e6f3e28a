package natsauth

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

// SeedFile is the file, in a credentials folder, holding a user's nkey seed
// (the form the nats CLI's --nkey flag reads).
func SeedFile(dir, user string) string { return filepath.Join(dir, user+".nk") }

// CredsFile is the file, in a credentials folder, holding a user's JWT and
// seed (the form of an operator/account setup, nsc's "creds" files).
func CredsFile(dir, user string) string { return filepath.Join(dir, user+".creds") }

// EnsureSeeds gives every user of the matrix (Users), the relay's included,
// an nkey seed in dir: EnsureSeedsOf(dir, Users()). It is for a server of
// your own (deploy/nats/nats-server.conf), where a relay may run.
func EnsureSeeds(dir string) (map[string]string, error) {
	return EnsureSeedsOf(dir, Users())
}

// EnsureSeedsOf gives each of users an nkey seed in dir, creating the ones
// that are missing (mode 0600), and returns their public keys. Existing
// seeds are kept: the embedded server of a development machine keeps its
// users across restarts. A seed in dir of a user not in users is neither
// read nor returned, so ServerUsers does not accept it.
func EnsureSeedsOf(dir string, users []string) (map[string]string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("natsauth: %w", err)
	}
	pubs := make(map[string]string)
	for _, u := range users {
		path := SeedFile(dir, u)
		seed, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			kp, err := nkeys.CreateUser()
			if err != nil {
				return nil, fmt.Errorf("natsauth: new nkey for %s: %w", u, err)
			}
			if seed, err = kp.Seed(); err != nil {
				return nil, err
			}
			if err := os.WriteFile(path, append(seed, '\n'), 0o600); err != nil {
				return nil, fmt.Errorf("natsauth: %w", err)
			}
		} else if err != nil {
			return nil, fmt.Errorf("natsauth: %w", err)
		}
		pub, err := PublicKey(seed)
		if err != nil {
			return nil, fmt.Errorf("natsauth: %s: %w", path, err)
		}
		pubs[u] = pub
	}
	return pubs, nil
}

// PublicKey returns the public key of a user's nkey seed.
func PublicKey(seed []byte) (string, error) {
	kp, err := nkeys.FromSeed([]byte(strings.TrimSpace(string(seed))))
	if err != nil {
		return "", err
	}
	defer kp.Wipe()
	return kp.PublicKey()
}

// ServerUsers are the embedded server's nkey users, with their permissions,
// for the given public keys (user name to public key): a user without a key
// in pubs is not one of them.
func ServerUsers(pubs map[string]string) ([]*server.NkeyUser, error) {
	var out []*server.NkeyUser
	for _, u := range Users() {
		pub, ok := pubs[u]
		if !ok {
			continue
		}
		p, _ := For(u)
		out = append(out, &server.NkeyUser{Nkey: pub, Permissions: p.server()})
	}
	if len(out) == 0 {
		return nil, errors.New("natsauth: no users")
	}
	return out, nil
}

func (p Permissions) server() *server.Permissions {
	sp := &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: p.PublishAllow, Deny: p.PublishDeny},
		Subscribe: &server.SubjectPermission{Allow: p.SubscribeAllow, Deny: p.SubscribeDeny},
	}
	if p.Responses {
		sp.Response = &server.ResponsePermission{MaxMsgs: server.DEFAULT_ALLOW_RESPONSE_MAX_MSGS, Expires: server.DEFAULT_ALLOW_RESPONSE_EXPIRATION}
	}
	return sp
}

// ClientOptions are the connection options of a user whose credentials are in
// dir: its .creds file (JWT) when there is one, else its nkey seed; and its
// own inbox prefix.
func ClientOptions(dir, user string) ([]nats.Option, error) {
	opts := []nats.Option{nats.CustomInboxPrefix(InboxPrefix(user))}
	if user == Operator {
		opts = opts[:0]
	}
	if creds := CredsFile(dir, user); fileExists(creds) {
		return append(opts, nats.UserCredentials(creds)), nil
	}
	seed := SeedFile(dir, user)
	if !fileExists(seed) {
		return nil, fmt.Errorf("natsauth: no NATS credentials for user %q: expected %s or %s", user, CredsFile(dir, user), seed)
	}
	o, err := nats.NkeyOptionFromSeed(seed)
	if err != nil {
		return nil, fmt.Errorf("natsauth: %s: %w", seed, err)
	}
	return append(opts, o), nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
