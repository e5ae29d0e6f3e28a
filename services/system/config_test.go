package system_test

import (
	"testing"

	"github.com/complaintflow/complaintflow/services/system"
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
