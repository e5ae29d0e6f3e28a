package auth

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// DevTokensFile is the name of the development tokens file in the data
// directory.
const DevTokensFile = "dev-tokens.json"

// LoadOrCreateDevTokens returns the development tokens kept in path, a JSON
// object {"<role>": "<token>", …} with one token per role of TokenRoles
// (the staff's and the payment system's). On first start it writes one
// random token per role (file mode 0600); later starts reuse them, and add
// a token for a role the file lacks. Processes starting together on one
// data directory end up with the same tokens. The principal of each token
// is dev-<role>, holding that one role.
func LoadOrCreateDevTokens(path string) (StaticTokens, error) {
	byRole, err := ReadDevTokens(path)
	if errors.Is(err, fs.ErrNotExist) {
		fresh := map[Role]string{}
		for _, role := range TokenRoles {
			fresh[role] = rand.Text()
		}
		data, merr := json.MarshalIndent(fresh, "", "  ")
		if merr != nil {
			return nil, merr
		}
		if err = createFileOnce(path, append(data, '\n')); err != nil {
			return nil, err
		}
		byRole, err = ReadDevTokens(path)
	}
	if err != nil {
		return nil, err
	}
	changed := false
	for _, role := range TokenRoles {
		if byRole[role] == "" {
			byRole[role] = rand.Text()
			changed = true
		}
	}
	if changed {
		if err := writeDevTokens(path, byRole); err != nil {
			return nil, err
		}
	}
	tokens := StaticTokens{}
	for role, token := range byRole {
		if !role.Known() || role == RoleCustomer {
			return nil, fmt.Errorf("%s: %q is not a staff or system role", path, role)
		}
		if len(token) < 16 {
			return nil, fmt.Errorf("%s: the token of %s is shorter than 16 characters", path, role)
		}
		tokens[token] = Principal{Subject: "dev-" + string(role), Roles: []Role{role}}
	}
	return tokens, nil
}

// ReadDevTokens reads a development tokens file: role → token.
func ReadDevTokens(path string) (map[Role]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var byRole map[Role]string
	if err := json.Unmarshal(data, &byRole); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return byRole, nil
}

func writeDevTokens(path string, byRole map[Role]string) error {
	data, err := json.MarshalIndent(byRole, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return writeFileAtomic(path, append(data, '\n'))
}

// createFileOnce writes data to path with mode 0600 unless path exists
// already: of processes racing to create it, one wins and the others keep
// its file. The file appears whole or not at all.
func createFileOnce(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := writeTemp(path, data)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}

// writeTemp writes data, synced, to a new temporary file (mode 0600) beside
// path and returns its name.
func writeTemp(path string, data []byte) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return "", err
	}
	name := f.Name()
	fail := func(err error) (string, error) {
		f.Close()
		os.Remove(name)
		return "", err
	}
	if err := f.Chmod(0o600); err != nil {
		return fail(err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}

// writeFileAtomic writes data to path with mode 0600 through a temporary
// file, so a crash leaves the old file or the new one, never half of one.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := writeTemp(path, data)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
