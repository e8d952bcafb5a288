// Package faultproxy is a reverse proxy that puts transport faults between a
// client and DynamoDB Local: for a share of requests it resets the
// connection before forwarding (nothing applied) or after (applied, answer
// lost), cuts the answer's body short, or holds the answer back. Tests use
// it to prove that a fault of the way to the store is retried where that is
// safe and answered 503 where it is not, never 500, and never leaves half a
// write. Tests only.
package faultproxy

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Fault is what the proxy does to one request.
type Fault string

// The faults.
const (
	None        Fault = ""
	ResetBefore Fault = "reset_before" // connection reset, request never forwarded
	ResetAfter  Fault = "reset_after"  // forwarded and applied, then the connection reset
	Truncate    Fault = "truncate"     // answered with half its body, then closed
	Delay       Fault = "delay"        // answered after Options.DelayBy
)

// Options say how often each fault happens, as a share of requests (the
// shares add up to at most 1).
type Options struct {
	ResetBefore, ResetAfter, Truncate, Delay float64
	DelayBy                                  time.Duration
	// Ops, when not empty, limits the faults to these operations (the
	// X-Amz-Target's action, e.g. "Query", "GetRecords").
	Ops []string
	// Max, when above 0, ends the faults after that many.
	Max  int
	Seed uint64
}

// Proxy is a running fault proxy.
type Proxy struct {
	URL      string
	upstream string
	srv      *httptest.Server
	client   *http.Client

	mu      sync.Mutex
	o       Options
	rng     *rand.Rand
	counts  map[Fault]int
	byOp    map[string]int
	enabled bool
	total   int
	seen    int
}

// Start starts a proxy to upstream (an http:// endpoint). It injects no
// fault until Set is called.
func Start(upstream string) *Proxy {
	p := &Proxy{upstream: strings.TrimRight(upstream, "/"), counts: map[Fault]int{}, byOp: map[string]int{},
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL
	return p
}

// Close stops the proxy.
func (p *Proxy) Close() { p.srv.Close() }

// Set changes the faults from now on.
func (p *Proxy) Set(o Options) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.o, p.rng, p.enabled, p.total = o, rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15)), true, 0
}

// Off stops injecting faults.
func (p *Proxy) Off() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.enabled = false
}

// Counts returns how many times each fault was injected (None: every
// request), and per operation how many faults it met.
func (p *Proxy) Counts() (map[Fault]int, map[string]int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a, b := map[Fault]int{None: p.seen}, map[string]int{}
	for k, v := range p.counts {
		a[k] = v
	}
	for k, v := range p.byOp {
		b[k] = v
	}
	return a, b
}

func (p *Proxy) pick(op string) Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen++
	if !p.enabled || (p.o.Max > 0 && p.total >= p.o.Max) {
		return None
	}
	if len(p.o.Ops) > 0 {
		found := false
		for _, o := range p.o.Ops {
			found = found || o == op
		}
		if !found {
			return None
		}
	}
	x := p.rng.Float64()
	f := None
	for _, c := range []struct {
		share float64
		f     Fault
	}{{p.o.ResetBefore, ResetBefore}, {p.o.ResetAfter, ResetAfter}, {p.o.Truncate, Truncate}, {p.o.Delay, Delay}} {
		if x < c.share {
			f = c.f
			break
		}
		x -= c.share
	}
	if f != None {
		p.total++
		p.counts[f]++
		p.byOp[op]++
	}
	return f
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op := target[strings.LastIndex(target, ".")+1:]
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	f := p.pick(op)
	if f == ResetBefore {
		reset(w)
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, p.upstream+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := p.client.Do(req)
	if err != nil {
		reset(w)
		return
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		reset(w)
		return
	}
	switch f {
	case ResetAfter:
		reset(w)
		return
	case Truncate:
		truncate(w, resp, answer)
		return
	case Delay:
		p.mu.Lock()
		d := p.o.DelayBy
		p.mu.Unlock()
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(answer)
}

// reset closes the client's connection with a TCP RST.
func reset(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// truncate sends the answer's status and headers (its full Content-Length
// included) and half its body, then closes the connection.
func truncate(w http.ResponseWriter, resp *http.Response, answer []byte) {
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	writeHead(buf, resp, len(answer))
	_, _ = buf.Write(answer[:len(answer)/2])
	_ = buf.Flush()
}

func writeHead(buf *bufio.ReadWriter, resp *http.Response, n int) {
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", resp.StatusCode, http.StatusText(resp.StatusCode))
	for k, vs := range resp.Header {
		if strings.EqualFold(k, "Content-Length") || strings.EqualFold(k, "Transfer-Encoding") {
			continue
		}
		for _, v := range vs {
			fmt.Fprintf(buf, "%s: %s\r\n", k, v)
		}
	}
	fmt.Fprintf(buf, "Content-Length: %d\r\n\r\n", n)
}
