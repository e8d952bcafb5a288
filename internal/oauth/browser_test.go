//go:build linux

package oauth_test

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/devhub-oss/devhub/internal/devhub"
)

const chromiumPath = "/usr/bin/chromium"

// browser is headless Chromium driven over the DevTools protocol, with a
// minimal WebSocket client of our own (the standard library has none).
type browser struct {
	t    *testing.T
	conn net.Conn
	rd   *bufio.Reader
	next int
}

func startBrowser(t *testing.T) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("%s is missing: run `make test-browser` (it installs Debian's chromium) to run the browser tests", chromiumPath)
	}
	dir, err := os.MkdirTemp("", "devhub-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(chromiumPath, "--headless=new", "--remote-debugging-port=0",
		"--remote-debugging-address=127.0.0.1", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir="+dir, "about:blank")
	// Its own process group, so that its helper processes end with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		for range 10 { // helpers may still be letting go of files
			if os.RemoveAll(dir) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	wsURL := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "DevTools listening on "); ok {
				wsURL <- rest
			}
		}
	}()
	var browserWS string
	select {
	case browserWS = <-wsURL:
	case <-time.After(30 * time.Second):
		t.Fatal("chromium did not start")
	}
	u, _ := url.Parse(browserWS)
	// A page target of its own, opened on about:blank.
	req, _ := http.NewRequest(http.MethodPut, "http://"+u.Host+"/json/new?about:blank", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var target struct {
		WebSocketDebuggerURL string `json:"webSocketDebuggerUrl"`
	}
	err = json.NewDecoder(res.Body).Decode(&target)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t}
	b.dial(target.WebSocketDebuggerURL)
	t.Cleanup(func() { b.conn.Close() })
	b.call("Page.enable", nil)
	return b
}

// dial opens the WebSocket (RFC 6455 client handshake).
func (b *browser) dial(raw string) {
	u, _ := url.Parse(raw)
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		b.t.Fatal(err)
	}
	var k [16]byte
	_, _ = rand.Read(k[:])
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
		u.RequestURI(), u.Host, base64.StdEncoding.EncodeToString(k[:]))
	b.conn, b.rd = conn, bufio.NewReader(conn)
	res, err := http.ReadResponse(b.rd, nil)
	if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
		b.t.Fatalf("websocket handshake: %v %v", res, err)
	}
}

func (b *browser) write(msg []byte) {
	hdr := []byte{0x81} // FIN, text
	switch n := len(msg); {
	case n < 126:
		hdr = append(hdr, 0x80|byte(n))
	case n < 1<<16:
		hdr = append(hdr, 0x80|126, byte(n>>8), byte(n))
	default:
		hdr = append(hdr, 0x80|127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	var mask [4]byte
	_, _ = rand.Read(mask[:])
	hdr = append(hdr, mask[:]...)
	body := make([]byte, len(msg))
	for i := range msg {
		body[i] = msg[i] ^ mask[i%4]
	}
	if _, err := b.conn.Write(append(hdr, body...)); err != nil {
		b.t.Fatal(err)
	}
}

func (b *browser) read() []byte {
	var msg []byte
	for {
		var h [2]byte
		if _, err := io.ReadFull(b.rd, h[:]); err != nil {
			b.t.Fatal(err)
		}
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var l [2]byte
			_, _ = io.ReadFull(b.rd, l[:])
			n = uint64(binary.BigEndian.Uint16(l[:]))
		case 127:
			var l [8]byte
			_, _ = io.ReadFull(b.rd, l[:])
			n = binary.BigEndian.Uint64(l[:])
		}
		part := make([]byte, n)
		if _, err := io.ReadFull(b.rd, part); err != nil {
			b.t.Fatal(err)
		}
		if op := h[0] & 0x0f; op == 0x9 || op == 0xa { // ping, pong: skip
			continue
		}
		msg = append(msg, part...)
		if h[0]&0x80 != 0 {
			return msg
		}
	}
}

// call sends a DevTools command and returns its result, skipping events.
func (b *browser) call(method string, params any) json.RawMessage {
	b.t.Helper()
	b.next++
	id := b.next
	msg, _ := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	_ = b.conn.SetDeadline(time.Now().Add(30 * time.Second))
	b.write(msg)
	for {
		var res struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(b.read(), &res); err != nil {
			b.t.Fatal(err)
		}
		if res.ID != id {
			continue
		}
		if res.Error != nil {
			b.t.Fatalf("%s: %s", method, res.Error.Message)
		}
		return res.Result
	}
}

// eval evaluates expr in the page and decodes its value into v.
func (b *browser) eval(expr string, v any) {
	b.t.Helper()
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
	}
	if err := json.Unmarshal(b.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}), &res); err != nil {
		b.t.Fatal(err)
	}
	if v != nil && len(res.Result.Value) > 0 {
		_ = json.Unmarshal(res.Result.Value, v)
	}
}

// waitFor polls expr until it is true.
func (b *browser) waitFor(what, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var ok bool
		b.eval(expr, &ok)
		if ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	var href, body string
	b.eval("location.href", &href)
	b.eval("document.body ? document.body.innerText : ''", &body)
	b.t.Fatalf("waiting for %s: at %s: %s", what, href, body)
}

// TestBrowserNoFraming: a page that frames the consent page gets an error
// frame, not the page (X-Frame-Options: DENY, CSP frame-ancestors 'none'),
// while a control frame next to it loads.
func TestBrowserNoFraming(t *testing.T) {
	e := newEnv(t)
	b := startBrowser(t)
	a := e.newApp(t, devhub.StatusLive, nil)
	consentURL := e.iss + "/oauth/authorize?" + url.Values{"client_id": {a.ClientID}, "redirect_uri": {a.CallbackURL}}.Encode()
	token := userToken(t, carol)
	parent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "devhub_session", Value: token, Path: "/", SameSite: http.SameSiteNoneMode})
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><title>framer</title><iframe id="consent" src="%s"></iframe><iframe id="control" src="%s"></iframe>`,
			consentURL, e.cb.URL+"/framed")
	}))
	defer parent.Close()
	b.call("Page.navigate", map[string]any{"url": parent.URL + "/"})
	b.waitFor("the framing page", `document.readyState === 'complete'`)
	time.Sleep(500 * time.Millisecond)
	var tree struct {
		FrameTree struct {
			ChildFrames []struct {
				Frame struct {
					Name           string `json:"name"`
					URL            string `json:"url"`
					UnreachableURL string `json:"unreachableUrl"`
				} `json:"frame"`
			} `json:"childFrames"`
		} `json:"frameTree"`
	}
	if err := json.Unmarshal(b.call("Page.getFrameTree", nil), &tree); err != nil {
		t.Fatal(err)
	}
	if len(tree.FrameTree.ChildFrames) != 2 {
		t.Fatalf("frames: %+v", tree)
	}
	consent, control := tree.FrameTree.ChildFrames[0].Frame, tree.FrameTree.ChildFrames[1].Frame
	if !strings.HasPrefix(control.URL, e.cb.URL) {
		t.Fatalf("the control frame did not load: %+v", control)
	}
	if strings.HasPrefix(consent.URL, e.iss) && consent.UnreachableURL == "" {
		t.Errorf("the consent page rendered inside a frame: %+v", consent)
	}
	if !regexp.MustCompile(`^chrome-error://`).MatchString(consent.URL) {
		t.Logf("consent frame: %+v", consent)
	}
}
