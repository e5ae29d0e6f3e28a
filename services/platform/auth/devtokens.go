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
// object {"<role>": "<token>", …} with one token per staff role. On first
// start it writes one random token per role (file mode 0600); later starts
// reuse them, and add a token for a role the file lacks. The principal of
// each token is dev-<role>, holding that one role.
func LoadOrCreateDevTokens(path string) (StaticTokens, error) {
	byRole, err := ReadDevTokens(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if byRole == nil {
		byRole = map[Role]string{}
	}
	changed := false
	for _, role := range StaffRoles {
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
			return nil, fmt.Errorf("%s: %q is not a staff role", path, role)
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

// writeFileAtomic writes data to path with mode 0600 through a temporary
// file, so a crash leaves the old file or the new one, never half of one.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
