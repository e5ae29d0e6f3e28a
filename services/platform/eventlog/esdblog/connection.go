package esdblog

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
)

// schemes maps the schemes of KurrentDB connection strings to those the
// EventStoreDB client reads: the settings are the same (see ADR 0010).
var schemes = map[string]string{
	"esdb":               "esdb",
	"esdb+discover":      "esdb+discover",
	"kurrentdb":          "esdb",
	"kurrentdb+discover": "esdb+discover",
	"kurrent":            "esdb",
	"kurrent+discover":   "esdb+discover",
	"kdb":                "esdb",
	"kdb+discover":       "esdb+discover",
}

// parseConnectionString reads an EventStoreDB or KurrentDB connection
// string. Its errors say what is wrong without quoting the password.
// Credentials over plain text and follower reads are refused: the client
// never sends credentials without TLS, and the repository needs to read
// what it has just written, which only the leader guarantees.
func parseConnectionString(raw string) (*esdb.Configuration, error) {
	shown := redact(raw)
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return nil, fmt.Errorf("esdblog: connection string %q: no scheme (want esdb://, esdb+discover://, kurrentdb:// or kurrentdb+discover://)", shown)
	}
	mapped, ok := schemes[strings.ToLower(scheme)]
	if !ok {
		return nil, fmt.Errorf("esdblog: connection string %q: unknown scheme %q (want esdb://, esdb+discover://, kurrentdb:// or kurrentdb+discover://)", shown, scheme)
	}
	cfg, err := esdb.ParseConnectionString(mapped + "://" + rest)
	if err != nil {
		// A parse error of net/url quotes the whole string, password
		// included: keep only what it says is wrong.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		msg := err.Error()
		if pw := password(raw); pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
		}
		return nil, fmt.Errorf("esdblog: connection string %q: %s", shown, msg)
	}
	if cfg.DisableTLS && (cfg.Username != "" || cfg.Password != "") {
		return nil, fmt.Errorf("esdblog: connection string %q: user credentials with tls=false are never sent by the client "+
			"(an insecure server has no users): remove them, or connect with TLS", shown)
	}
	if cfg.NodePreference != esdb.NodePreferenceLeader {
		return nil, fmt.Errorf("esdblog: connection string %q: nodePreference=%s: the services read their own writes, which only the leader guarantees; "+
			"remove nodePreference or set it to leader", shown, cfg.NodePreference)
	}
	return cfg, nil
}

// userinfo is the "user:password" part of a connection string, if any.
func userinfo(raw string) (start, end int, ok bool) {
	i := strings.Index(raw, "://")
	if i < 0 {
		return 0, 0, false
	}
	start = i + 3
	hostEnd := len(raw)
	if j := strings.IndexAny(raw[start:], "/?"); j >= 0 {
		hostEnd = start + j
	}
	at := strings.LastIndex(raw[start:hostEnd], "@")
	if at < 0 {
		return 0, 0, false
	}
	return start, start + at, true
}

func password(raw string) string {
	s, e, ok := userinfo(raw)
	if !ok {
		return ""
	}
	_, pw, _ := strings.Cut(raw[s:e], ":")
	return pw
}

// redact replaces the password of a connection string with "xxxxx".
func redact(raw string) string {
	s, e, ok := userinfo(raw)
	if !ok {
		return raw
	}
	user, _, hasPw := strings.Cut(raw[s:e], ":")
	if !hasPw {
		return raw
	}
	return raw[:s] + user + ":xxxxx" + raw[e:]
}
