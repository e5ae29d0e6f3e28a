package system_test

import (
	"strings"
	"testing"

	"github.com/complaintflow/complaintflow/services/system"
	"github.com/complaintflow/complaintflow/services/system/paysim"
)

// The all-in-one process's own settings come from its environment: PAYSIM
// and WEB_API_URL, each an option of Services only when set.
func TestTheAllInOneConfigurationIsReadFromTheEnvironment(t *testing.T) {
	t.Setenv("PAYSIM", "off")
	t.Setenv("WEB_API_URL", "http://api.internal:8080")
	c, err := system.ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if c.PaySim != "off" || c.WebAPIURL != "http://api.internal:8080" || len(c.Options()) != 2 {
		t.Fatalf("configuration %+v with %d options, want PAYSIM off, the API URL and two options", c, len(c.Options()))
	}
	if n := len((system.Config{}).Options()); n != 0 {
		t.Fatalf("an empty configuration gives %d options, want none", n)
	}
}

// The pages' sign-in through an identity provider reads the API's own
// issuer and audience (OIDC_*) with the pages' client (WEB_OIDC_*), and a
// client without them is refused at start.
func TestThePagesSignInIsReadWithTheAPIsIssuer(t *testing.T) {
	t.Setenv("OIDC_ISSUER", "https://id.example.com")
	t.Setenv("OIDC_AUDIENCE", "complaintflow-api")
	t.Setenv("WEB_OIDC_CLIENT_ID", "complaintflow-pages")
	t.Setenv("WEB_OIDC_REDIRECT_URL", "https://complaints.example.com/app/sign-in/callback")
	c, err := system.ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	o := c.WebOIDC
	if !o.On() || o.Provider.Issuer != "https://id.example.com" || o.Provider.Audience != "complaintflow-api" ||
		o.Provider.RolesClaim != "roles" || o.ClientID != "complaintflow-pages" || len(c.Options()) != 1 {
		t.Fatalf("sign-in configuration %+v with %d options", o, len(c.Options()))
	}
	t.Setenv("OIDC_AUDIENCE", "")
	if _, err := system.ConfigFromEnv(); err == nil {
		t.Fatal("a client without the API's audience was accepted")
	}
}

// The simulated payment system's token and misbehaviour are read with the
// rest (PAYSIM_*), an option of Services only when set; a value that does
// not parse, or that the simulator would refuse, is refused at start.
func TestThePaymentSimulatorsSettingsAreReadFromTheEnvironment(t *testing.T) {
	t.Setenv("PAYSIM_TOKEN", "payments-token")
	t.Setenv("PAYSIM_FAIL_RATE", "0.25")
	t.Setenv("PAYSIM_FAIL_EVERY", "3")
	t.Setenv("PAYSIM_ANSWER_TWICE", "true")
	c, err := system.ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	want := paysim.Config{Token: "payments-token", FailRate: 0.25, FailEvery: 3, AnswerTwice: true}
	if c.PaySimConfig != want || len(c.Options()) != 1 {
		t.Fatalf("configuration %+v with %d options, want %+v and one option", c.PaySimConfig, len(c.Options()), want)
	}
	for _, bad := range []struct{ name, value, says string }{
		{"PAYSIM_FAIL_RATE", "often", "FailRate"},
		{"PAYSIM_FAIL_RATE", "1.5", "PAYSIM_FAIL_RATE"},
		{"PAYSIM_FAIL_EVERY", "-2", "PAYSIM_FAIL_EVERY"},
		{"PAYSIM_ANSWER_TWICE", "maybe", "AnswerTwice"},
	} {
		t.Run(bad.name+"="+bad.value, func(t *testing.T) {
			t.Setenv(bad.name, bad.value)
			_, err := system.ConfigFromEnv()
			if err == nil || !strings.Contains(err.Error(), bad.says) {
				t.Fatalf("%s=%s: error %v, want one naming %s", bad.name, bad.value, err, bad.says)
			}
		})
	}
}
