package httpx

import (
	"io"
	"net/http"
	"path"
	"strings"
)

// drainBytes bounds what Guard reads of a body a handler left unread
// (besides the server's read timeout).
const drainBytes = 16 << 20

// Guard is the first handler of every request, before authentication and
// routes:
//
//   - A path that is not clean ("/a/../b", "/a/./b", "/a//b") answers the 404
//     problem of a path that is no route. http.ServeMux would otherwise
//     redirect it to the cleaned path, which the caller did not ask for.
//   - A body whose declared Content-Length passes MaxBodyBytes answers the
//     413 problem before anything reads it, so a client that sent
//     "Expect: 100-continue" is never told to send it and reads the answer
//     on a connection that closes cleanly. One sent without waiting is
//     drained as below.
//   - A body a handler started reading and left unread (one refused past the
//     limit, such as a chunked body of unknown size) is drained, up to
//     drainBytes, after the answer is flushed: a client still sending reads
//     the answer instead of a reset connection.
func Guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect && r.URL.Path != cleanPath(r.URL.Path) {
			WriteProblem(w, r, NotFound("no route for "+r.Method+" "+r.URL.Path))
			return
		}
		if r.ContentLength > MaxBodyBytes {
			WriteProblem(w, r, tooLarge())
			if !strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
				// The client sends the body without waiting for an answer.
				drain(w, r.Body)
			}
			return
		}
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		body := &watchedBody{ReadCloser: r.Body}
		r.Body = body
		next.ServeHTTP(w, r)
		if !body.started || body.done {
			// A body never asked for (Expect: 100-continue) is not sent:
			// the server closes the connection after the answer.
			return
		}
		drain(w, body.ReadCloser)
	})
}

// drain flushes the answer, then reads and drops up to drainBytes of body.
func drain(w http.ResponseWriter, body io.Reader) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	_, _ = io.CopyN(io.Discard, body, drainBytes)
}

// watchedBody notes whether a handler read from the body, and to its end.
type watchedBody struct {
	io.ReadCloser
	started, done bool
}

func (b *watchedBody) Read(p []byte) (int, error) {
	b.started = true
	n, err := b.ReadCloser.Read(p)
	if err != nil {
		b.done = true
	}
	return n, err
}

// cleanPath is the path http.ServeMux would redirect p to.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if strings.HasSuffix(p, "/") && np != "/" {
		np += "/"
	}
	return np
}
