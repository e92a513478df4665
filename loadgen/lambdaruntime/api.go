package lambdaruntime

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"
)

// The Runtime API as aws-lambda-go's client (lambda/runtime_api_client.go)
// speaks it: https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
const (
	apiPrefix = "/2018-06-01/runtime"

	headerRequestID   = "Lambda-Runtime-Aws-Request-Id"
	headerDeadline    = "Lambda-Runtime-Deadline-Ms"
	headerFunctionARN = "Lambda-Runtime-Invoked-Function-Arn"
	headerTraceID     = "Lambda-Runtime-Trace-Id"
	headerErrorType   = "Lambda-Runtime-Function-Error-Type"
	// A streamed response that failed mid-way says so in trailers.
	trailerErrorType = "Lambda-Runtime-Function-Error-Type"
	trailerErrorBody = "Lambda-Runtime-Function-Error-Body"
)

func (e *environment) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+apiPrefix+"/invocation/next", e.handleNext)
	mux.HandleFunc("POST "+apiPrefix+"/invocation/{id}/response", e.handleResponse)
	mux.HandleFunc("POST "+apiPrefix+"/invocation/{id}/error", e.handleError)
	mux.HandleFunc("POST "+apiPrefix+"/init/error", e.handleInitError)
	return mux
}

// handleNext is the function saying it is ready: it blocks until an event
// is assigned, the environment stops, or the connection goes.
func (e *environment) handleNext(w http.ResponseWriter, r *http.Request) {
	select {
	case e.ready <- time.Now():
	default: // a repeated /next without an answer in between: already ready
	}
	select {
	case inv := <-e.assign:
		e.mu.Lock()
		e.current = inv
		e.mu.Unlock()
		h := w.Header()
		h[headerRequestID] = []string{inv.id}
		h[headerDeadline] = []string{strconv.FormatInt(inv.deadline.UnixMilli(), 10)}
		h[headerFunctionARN] = []string{e.fn.arn}
		h[headerTraceID] = []string{inv.traceID}
		h["Content-Type"] = []string{"application/json"}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(inv.payload)
	case <-e.stopping:
		writeAPIError(w, http.StatusGone, "EnvironmentStopping", "the environment is shutting down")
	case <-r.Context().Done():
	}
}

// take hands over the current invocation if id names it: each invocation
// is answered once.
func (e *environment) take(id string) *invocation {
	e.mu.Lock()
	defer e.mu.Unlock()
	inv := e.current
	if inv == nil || inv.id != id {
		return nil
	}
	e.current = nil
	return inv
}

func (e *environment) handleResponse(w http.ResponseWriter, r *http.Request) {
	inv := e.take(r.PathValue("id"))
	if inv == nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequestID", "no invocation in progress with this request id")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxResponseBytes))
	out := outcome{end: time.Now()}
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		out.failed, out.errType = true, "Function.ResponseSizeTooLarge"
		out.errMsg = "Response payload size exceeded maximum allowed payload size (" + strconv.Itoa(MaxResponseBytes) + " bytes)."
		inv.done <- out
		writeAPIError(w, http.StatusRequestEntityTooLarge, out.errType, out.errMsg)
		return
	case err != nil:
		out.failed, out.errType, out.errMsg = true, "Runtime.ResponseReadError", err.Error()
	case r.Trailer.Get(trailerErrorType) != "":
		out.failed, out.errType = true, r.Trailer.Get(trailerErrorType)
		out.errMsg = trailerMessage(r.Trailer.Get(trailerErrorBody))
	default:
		out.response = body
	}
	inv.done <- out
	accepted(w)
}

func (e *environment) handleError(w http.ResponseWriter, r *http.Request) {
	inv := e.take(r.PathValue("id"))
	if inv == nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequestID", "no invocation in progress with this request id")
		return
	}
	fe := readFnError(r)
	inv.done <- outcome{end: time.Now(), failed: true, errType: fe.Type, errMsg: fe.Message}
	accepted(w)
}

func (e *environment) handleInitError(w http.ResponseWriter, r *http.Request) {
	select {
	case e.initErr <- readFnError(r):
	default: // one init error is enough
	}
	accepted(w)
}

// readFnError reads an error document; a body that is not one is kept as
// the message.
func readFnError(r *http.Request) fnError {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxErrorBytes))
	var fe fnError
	if err := json.Unmarshal(body, &fe); err != nil || (fe.Type == "" && fe.Message == "") {
		fe = fnError{Message: string(body)}
	}
	if t := r.Header.Get(headerErrorType); fe.Type == "" && t != "" {
		fe.Type = t
	}
	if fe.Type == "" {
		fe.Type = "Unhandled"
	}
	return fe
}

func trailerMessage(b64 string) string {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return b64
	}
	var fe fnError
	if json.Unmarshal(raw, &fe) == nil && fe.Message != "" {
		return fe.Message
	}
	return string(raw)
}

func accepted(w http.ResponseWriter) {
	w.Header()["Content-Type"] = []string{"application/json"}
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func writeAPIError(w http.ResponseWriter, code int, typ, msg string) {
	b, _ := json.Marshal(fnError{Type: typ, Message: msg})
	w.Header()["Content-Type"] = []string{"application/json"}
	w.WriteHeader(code)
	_, _ = w.Write(b)
}
