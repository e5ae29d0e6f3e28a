package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Roles the API's routes ask for, as the client picks development tokens
// by them.
const (
	RoleIntakeSystem = "intake-system"
	RoleAgent        = "agent"
	RoleApprover     = "approver"
	RoleProcessOwner = "process-owner"
	RoleAuditor      = "auditor"
	RoleAdmin        = "admin"
	// RolePayments: the company's payment systems, which alone confirm
	// redress issuances.
	RolePayments = "payments"
)

// DefaultTokensFile is where a system started with make run keeps its
// development tokens, relative to the repository root.
const DefaultTokensFile = "data/dev-tokens.json"

// Credentials are the bearer tokens the client sends.
type Credentials struct {
	// Token, when set, is sent with every request whatever it is
	// ($COMPLAINTS_TOKEN): a token from the identity provider, say.
	Token string
	// ByRole are development tokens by role, as in data/dev-tokens.json:
	// each call sends the token of the role it needs (intake-system to
	// submit, agent to work a case, …).
	ByRole map[string]string
}

// For is the token to send for a call that needs role; empty when there is
// none (the API then answers 401).
func (c Credentials) For(role string) string {
	if c.Token != "" {
		return c.Token
	}
	return c.ByRole[role]
}

// LoadCredentials reads the credentials the tools use: $COMPLAINTS_TOKEN
// when set; else the development tokens file at $COMPLAINTS_TOKENS_FILE,
// by default data/dev-tokens.json. A default file that does not exist
// gives no credentials and no error; a named one must exist.
func LoadCredentials() (Credentials, error) {
	if t := os.Getenv("COMPLAINTS_TOKEN"); t != "" {
		return Credentials{Token: t}, nil
	}
	path := os.Getenv("COMPLAINTS_TOKENS_FILE")
	named := path != ""
	if !named {
		path = DefaultTokensFile
	}
	byRole, err := ReadTokensFile(path)
	if errors.Is(err, fs.ErrNotExist) && !named {
		return Credentials{}, nil
	}
	if err != nil {
		return Credentials{}, err
	}
	return Credentials{ByRole: byRole}, nil
}

// ReadTokensFile reads a development tokens file: {"<role>": "<token>", …}.
func ReadTokensFile(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var byRole map[string]string
	if err := json.Unmarshal(data, &byRole); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return byRole, nil
}
