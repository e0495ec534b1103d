package jirasim

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
)

// The simulator serves itself, through internal/loopback, and answers
// [Server.Client]'s in-process requests with a response recorder of its
// own. It uses neither net/http/httptest nor testing, so a binary that
// links the simulator for its demo does not link the test packages.

// recorder is the http.ResponseWriter of an in-process request: it keeps
// the status, the headers as they were when the status was written, and the
// body.
type recorder struct {
	header  http.Header
	code    int
	written http.Header // header snapshot at WriteHeader
	body    bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.code != 0 {
		return
	}
	r.code = code
	r.written = r.header.Clone()
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

// result is the answer as a client receives it.
func (r *recorder) result(req *http.Request) *http.Response {
	r.WriteHeader(http.StatusOK)
	body := r.body.Bytes()
	h := r.written
	if h.Get("Content-Length") == "" && len(body) > 0 {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	return &http.Response{
		Status:        strconv.Itoa(r.code) + " " + http.StatusText(r.code),
		StatusCode:    r.code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}
