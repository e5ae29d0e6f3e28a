package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/nats-io/nats.go/jetstream"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/intake"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/host"
	"github.com/complaintflow/complaintflow/services/platform/natsauth"
	"github.com/complaintflow/complaintflow/services/platform/notify"
	"github.com/complaintflow/complaintflow/services/system"
)

// startWithCustomerPage starts the system with the customer page's address
// in templates.yaml: its own address, chosen before it starts.
func startWithCustomerPage(t *testing.T) *fixture {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	dir := t.TempDir()
	b, _ := json.Marshal(tokens)
	if err := os.WriteFile(filepath.Join(dir, auth.DevTokensFile), b, 0o600); err != nil {
		t.Fatal(err)
	}
	config := policies(t)
	defaults, err := os.ReadFile("../../platform/policy/defaults/templates.yaml")
	if err != nil {
		t.Fatal(err)
	}
	templates := strings.Replace(string(defaults), `customer_page_url: ""`, `customer_page_url: "http://`+addr+`/app/complaint"`, 1)
	if templates == string(defaults) {
		t.Fatal("the default templates have no customer_page_url to set")
	}
	if err := os.WriteFile(filepath.Join(config, "templates.yaml"), []byte(templates), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := host.Config{HTTPAddr: addr, DataDir: dir, EmbeddedNATSHost: "127.0.0.1", EmbeddedNATSPort: -1}
	s, err := host.Start(context.Background(), cfg, "web-test", system.Services(intake.Config{Regime: "default", ConfigDir: config})...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return &fixture{t: t, sys: s, base: "http://" + s.Addr()}
}

// notification is the complaint's message of a purpose, once written.
func (f *fixture) notification(complaintID, purpose string) *complaintsv1.NotificationRequested {
	f.t.Helper()
	var out *complaintsv1.NotificationRequested
	f.eventually("the "+purpose+" message", func() bool {
		events, err := f.sys.Log().ReadTimeline(context.Background(), complaintID)
		if err != nil {
			f.t.Fatal(err)
		}
		for _, e := range events {
			m, err := es.Decode(e)
			if err != nil {
				f.t.Fatal(err)
			}
			if n, ok := m.(*complaintsv1.NotificationRequested); ok && n.Purpose == purpose {
				out = n
				return true
			}
		}
		return false
	})
	return out
}

var linkInText = regexp.MustCompile(`https?://[^\s]+`)

// The acknowledgement, the information request and the survey carry the
// customer page's link; the log keeps it with a placeholder where the
// delivery system puts the token, and holds the token nowhere. Sent (the
// token put in), the link opens the customer's complaint.
func TestTheMessagesLinkOpensTheCustomerPageAndTheLogHoldsNoToken(t *testing.T) {
	f := startWithCustomerPage(t)
	complaint := f.submit()
	if complaint.CustomerToken == "" {
		t.Fatal("the submission gave no customer token")
	}
	agent := tokens[auth.RoleAgent]
	f.call(agent, http.MethodPost, "/v1/cases/"+complaint.ID+"/information-requests", api.InformationRequestRequest{Question: "Which days were you without service?"}, nil)
	var causes api.RootCauses
	f.call(agent, http.MethodGet, "/v1/root-causes", nil, &causes)
	f.call(agent, http.MethodPost, "/v1/cases/"+complaint.ID+"/resolution", api.ResolveRequest{Outcome: api.OutcomeUpheld, RootCause: causes.RootCauses[0].Code}, nil)

	logged := f.base + "/app/complaint?token=" + notify.CustomerTokenPlaceholder
	var sent []string
	for _, purpose := range []string{notify.Acknowledgement, notify.InformationRequest, notify.Survey} {
		n := f.notification(complaint.ID, purpose)
		if !strings.Contains(n.Text, logged) {
			t.Fatalf("the %s as logged: %q, want the link %s", purpose, n.Text, logged)
		}
		// What the delivery system sends.
		text := notify.FillCustomerToken(n.Text, complaint.CustomerToken)
		link := strings.TrimRight(linkInText.FindString(text), ".,")
		if !strings.HasPrefix(link, f.base+"/app/complaint?token=") || strings.Contains(link, notify.CustomerTokenPlaceholder) {
			t.Fatalf("the %s as sent links to %q", purpose, link)
		}
		sent = append(sent, link)
	}

	// Every link opens the customer's own page.
	for i, link := range sent {
		jar, _ := cookiejar.New(nil)
		resp, err := (&http.Client{Jar: jar}).Get(link)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Request.URL.String() != f.base+"/app/complaint" || !strings.Contains(string(body), complaint.Reference) {
			t.Fatalf("link %d opened %s: %d\n%.400s", i, resp.Request.URL, resp.StatusCode, body)
		}
	}
	c := newChrome(t)
	c.run(chromedp.Navigate(sent[0]), chromedp.WaitVisible("#reference", chromedp.ByQuery))
	if ref := c.text("#reference"); ref != complaint.Reference {
		t.Fatalf("the acknowledgement's link opens %q, want %s", ref, complaint.Reference)
	}
	c.screenshot("opened-from-the-acknowledgement")

	// Not one message of the log, raw, holds the token or its signature.
	signature := complaint.CustomerToken[strings.LastIndex(complaint.CustomerToken, ".")+1:]
	nc, err := f.sys.ConnectAs(natsauth.Operator)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(t.Context(), "COMPLAINT_EVENTS")
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs == 0 {
		t.Fatal("the log is empty")
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := stream.GetMsg(t.Context(), seq)
		if err != nil {
			continue // deleted
		}
		raw := append([]byte(m.Subject), m.Data...)
		for k, v := range m.Header {
			raw = append(raw, []byte(k+strings.Join(v, ""))...)
		}
		if bytes.Contains(raw, []byte(signature)) {
			t.Fatalf("message %d (%s) of the log holds the customer token", seq, m.Subject)
		}
	}
}
