package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	complaintsv1 "github.com/complaintflow/complaintflow/proto/complaints/v1"
	"github.com/complaintflow/complaintflow/services/api"
	"github.com/complaintflow/complaintflow/services/platform/auth"
	"github.com/complaintflow/complaintflow/services/platform/es"
	"github.com/complaintflow/complaintflow/services/platform/eventlog"
	"github.com/complaintflow/complaintflow/services/platform/eventlog/memlog"
	"github.com/complaintflow/complaintflow/services/resolution"
	"github.com/complaintflow/complaintflow/services/resolution/adapters"
	"github.com/complaintflow/complaintflow/services/resolution/app"
	"github.com/complaintflow/complaintflow/services/system/web"
)

// BenchmarkTheQueuePageWith40000OpenCases serves a team's queue page while
// 40,000 cases are open: resolution over the memory log, its HTTP API and
// the pages on one address, the page fetched as a signed-in agent's
// browser does. It reports the page's bytes; ns/op is one page served,
// the API call included (page), and that API call alone (api). Run with
//
//	go test -run '^$' -bench QueuePage -benchtime 200x ./web/
func BenchmarkTheQueuePageWith40000OpenCases(b *testing.B) {
	const open = 40000
	p, err := resolution.LoadPolicy("")
	if err != nil {
		b.Fatal(err)
	}
	log := memlog.New()
	defer log.Close()
	a := app.New(app.Deps{Log: log, Policy: p})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, s := range []struct {
		filter  eventlog.Filter
		handler func(context.Context, eventlog.RecordedEvent) error
	}{
		{eventlog.Filter{Categories: []string{"complaint"}, EventTypes: []string{adapters.ComplaintReceivedType}}, adapters.OnComplaintReceived(a)},
		{eventlog.Filter{Categories: app.QueueCategories, EventTypes: app.QueueEventTypes}, adapters.OnQueueEvent(a)},
	} {
		sub, err := log.Subscribe(ctx, 0, s.filter, s.handler)
		if err != nil {
			b.Fatal(err)
		}
		defer sub.Stop()
	}
	for i := range open {
		id := uuid.Must(uuid.NewV7()).String()
		rec := &complaintsv1.ComplaintReceived{ComplaintId: id, Channel: "web", Reference: fmt.Sprintf("CMP-%06d", i),
			CustomerId: fmt.Sprintf("c-%d", i), Product: "broadband", Description: "No service", Regime: "uk-fca"}
		e, err := es.Encode(uuid.Must(uuid.NewV7()).String(), rec, eventlog.Metadata{ComplaintID: id, CausationID: id,
			Service: "intake", Actor: eventlog.NewActor(eventlog.ActorSystem, "intake")})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := log.Append(ctx, "complaint-"+id, eventlog.Any(), e); err != nil {
			b.Fatal(err)
		}
	}

	dir := b.TempDir()
	devTokens := map[auth.Role]string{auth.RoleAgent: "bench-agent-token"}
	data, _ := json.Marshal(devTokens)
	if err := os.WriteFile(filepath.Join(dir, auth.DevTokensFile), data, 0o600); err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	adapters.HTTP{App: a}.Routes(mux)
	web.New(web.Config{DevTokensFile: filepath.Join(dir, auth.DevTokensFile)}).Routes(mux)
	srv := httptest.NewServer(auth.Authenticate(auth.StaticTokens{"bench-agent-token": {Subject: "dev-agent", Roles: []auth.Role{auth.RoleAgent}}}, mux))
	defer srv.Close()

	// The queue holds every case before the clock starts.
	team := ""
	for deadline := time.Now().Add(10 * time.Minute); ; {
		n, t := queued(b, srv.URL)
		if n >= open {
			team = t
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d cases queued", n, open)
		}
		time.Sleep(2 * time.Second)
	}

	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	resp, err := hc.Get(srv.URL + "/app/sign-in")
	if err != nil {
		b.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	csrf := strings.SplitN(strings.SplitN(string(page), `name="csrf" value="`, 2)[1], `"`, 2)[0]
	if resp, err = hc.PostForm(srv.URL+"/app/sign-in", url.Values{"csrf": {csrf}, "role": {"agent"}}); err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()

	// The page, and the API call it makes alone: the difference is what
	// the pages cost.
	b.Run("page", func(b *testing.B) {
		path := srv.URL + "/app/queue?team=" + url.QueryEscape(team)
		var size int
		for b.Loop() {
			resp, err := hc.Get(path)
			if err != nil {
				b.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "CMP-") {
				b.Fatalf("queue page: %d\n%.300s", resp.StatusCode, body)
			}
			size = len(body)
		}
		b.ReportMetric(float64(size), "bytes/page")
		if size > 100<<10 {
			b.Errorf("the queue page weighs %d bytes, over 100 KB", size)
		}
	})
	b.Run("api", func(b *testing.B) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/queues/"+url.PathEscape(team), nil)
		req.Header.Set("Authorization", "Bearer bench-agent-token")
		for b.Loop() {
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}

// queued counts the cases in every team's queue, read from the API 200 at
// a time, and names the team they were routed to.
func queued(b *testing.B, base string) (int, string) {
	b.Helper()
	n, team := 0, ""
	for _, t := range []string{"network-support", "customer-care", "billing", "logistics"} {
		cursor := ""
		for {
			req, _ := http.NewRequest(http.MethodGet, base+"/v1/queues/"+t+"?limit=200&cursor="+url.QueryEscape(cursor), nil)
			req.Header.Set("Authorization", "Bearer bench-agent-token")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var q api.Queue
			_ = json.NewDecoder(resp.Body).Decode(&q)
			resp.Body.Close()
			if len(q.Items) > 0 && team == "" {
				team = t
			}
			n += len(q.Items)
			if q.NextCursor == "" {
				break
			}
			cursor = q.NextCursor
		}
	}
	return n, team
}
