package web_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/complaintflow/complaintflow/services/system/web"
)

func TestTheDevelopmentSignInIsOffWithoutDevelopmentTokens(t *testing.T) {
	mux := http.NewServeMux()
	web.New(web.Config{}).Routes(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, req := range []struct{ method, path string }{{http.MethodGet, "/app/sign-in"}, {http.MethodPost, "/app/sign-in"}} {
		r, _ := http.NewRequest(req.method, srv.URL+req.path, nil)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s %s without development tokens: %d", req.method, req.path, resp.StatusCode)
		}
	}
}
