package system_test

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"
)

// An acknowledged complaint survives the process being killed (SIGKILL, no
// graceful shutdown) while others are still being submitted: the event log
// acknowledges an append only once the server has stored it, and nothing
// acknowledged waits in the process's memory.
func TestAcknowledgedComplaintsSurviveAKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the all-in-one binary")
	}
	bin := buildAllInOne(t)
	data := t.TempDir()
	writeTestTokens(t, data)
	start := func() (*exec.Cmd, string) { return startAllInOne(t, bin, data, "CONFIG_DIR="+fastPolicies) }

	cmd, addr := start()
	a := api{t: t, addr: oneAddress(addr)}
	var (
		mu           sync.Mutex
		acknowledged []string
		wg           sync.WaitGroup
	)
	stop := make(chan struct{})
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body := map[string]any{
					"customer": map[string]any{"id": "c-" + strconv.Itoa(w), "name": "Ann Lee", "email": "ann@example.com"},
					"channel":  "web", "product": "broadband", "description": "complaint " + strconv.Itoa(i),
				}
				status, _, data := a.tryDo(http.MethodPost, "/v1/complaints", body)
				if status != http.StatusCreated {
					continue // the process is being killed: not acknowledged
				}
				var sub submitted
				if json.Unmarshal(data, &sub) == nil && sub.ID != "" {
					mu.Lock()
					acknowledged = append(acknowledged, sub.ID)
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	close(stop)
	wg.Wait()
	if len(acknowledged) == 0 {
		t.Fatal("no complaint was acknowledged before the kill")
	}

	_, addr = start()
	a = api{t: t, addr: oneAddress(addr)}
	for _, id := range acknowledged {
		status, _, data := a.do(http.MethodGet, "/v1/complaints/"+id, nil, nil)
		if status != http.StatusOK {
			t.Fatalf("acknowledged complaint %s is gone after the kill: %d %s", id, status, data)
		}
	}
	t.Logf("%d acknowledged complaints all there after SIGKILL and restart", len(acknowledged))
}
