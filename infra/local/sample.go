package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/devhub-oss/devhub/infra/sampleapp"
	"github.com/devhub-oss/devhub/internal/devhub"
	"github.com/devhub-oss/devhub/internal/hub"
	"github.com/devhub-oss/devhub/internal/probe"
)

// SampleAppName is the name the runner registers the sample app under.
const SampleAppName = "Sample app"

// sampleApp is the running sample app and what the runner's prober and
// notifier need to reach it.
type sampleApp struct {
	srv     *sampleapp.Server
	hs      *http.Server
	addr    string // 127.0.0.1:<port>
	base    string // https://127.0.0.1:<port>
	caPath  string
	roots   *x509.CertPool
	install string // the Sample app's install link, once registered
	appID   string
}

// startSampleApp listens on 127.0.0.1:$SAMPLE_APP_PORT (default 3443; 0 picks
// a free port) with a certificate from the local CA under dir/sample-app,
// made on first start. SAMPLE_APP=off turns it off (nil, nil).
func startSampleApp(dir, devhubBase string, logger *slog.Logger) (*sampleApp, error) {
	if strings.EqualFold(envOr("SAMPLE_APP", "on"), "off") {
		return nil, nil
	}
	certs, err := sampleapp.EnsureCertificates(filepath.Join(dir, "sample-app"), time.Now())
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", envOr("SAMPLE_APP_PORT", "3443")))
	if err != nil {
		return nil, fmt.Errorf("sample app (SAMPLE_APP_PORT, or SAMPLE_APP=off): %w", err)
	}
	addr := ln.Addr().String()
	sa := &sampleApp{addr: addr, base: "https://" + addr, caPath: certs.CAPath, roots: certs.Pool()}
	sa.srv = sampleapp.New(sampleapp.Options{BaseURL: sa.base, Devhub: devhubBase, Logger: logger})
	sa.hs = &http.Server{Handler: sa.srv.Handler(), ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{certs.Server}, MinVersion: tls.VersionTLS12},
		ErrorLog:  slog.NewLogLogger(logger.Handler(), slog.LevelDebug)}
	go func() { _ = sa.hs.ServeTLS(ln, "", "") }()
	return sa, nil
}

func (sa *sampleApp) stop(ctx context.Context) {
	if sa != nil {
		_ = sa.hs.Shutdown(ctx)
	}
}

// proberOptions are the local runner's probe options: PROBE_ALLOWED_HOSTS,
// plus the sample app's host:port and CA when it runs. Never used on AWS.
func (sa *sampleApp) proberOptions(allowed []string) probe.Options {
	o := probe.Options{AllowedHosts: allowed}
	if sa != nil {
		o.AllowedHosts = append(append([]string(nil), allowed...), sa.addr)
		o.RootCAs = sa.roots
	}
	return o
}

// hintingProber logs how a local not_allowed refusal is fixed.
type hintingProber struct {
	next   hub.Prober
	logger *slog.Logger
	sample string // the sample app's callback for any app, "" when off
}

func (h *hintingProber) CheckCallback(ctx context.Context, rawURL string) (devhub.CallbackHealth, time.Duration) {
	health, d := h.next.CheckCallback(ctx, rawURL)
	// The category is the first word of every probe error.
	if strings.HasPrefix(health.Error, string(probe.NotAllowed)+":") {
		hint := "locally, use the sample app's callback " + h.sample + " (it answers the probe), or list the host:port in PROBE_ALLOWED_HOSTS"
		if h.sample == "" {
			hint = "locally, list the host:port in PROBE_ALLOWED_HOSTS (the sample app is off: SAMPLE_APP=off)"
		}
		h.logger.WarnContext(ctx, "callback probe refused: not_allowed", slog.String("hint", hint))
	}
	return health, d
}

// api calls the runner's own API with the dev token, for registering the
// sample app the way any developer would.
type api struct {
	base, token string
	client      *http.Client
}

func (a *api) do(ctx context.Context, method, path, idemKey string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	res, err := a.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode >= 300 {
		return res.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, bytes.TrimSpace(b))
	}
	if out != nil {
		return res.StatusCode, json.Unmarshal(b, out)
	}
	return res.StatusCode, nil
}

type appView struct {
	ID              string  `json:"id"`
	Name            string  `json:"name"`
	Status          string  `json:"status"`
	ClientID        string  `json:"client_id"`
	ClientSecret    string  `json:"client_secret"`
	CallbackURL     string  `json:"callback_url"`
	InstallationURL *string `json:"installation_url"`
}

// register makes sure the dev company has one private live app named
// SampleAppName pointing at this sample app, with a custom panel, and hands
// its credentials to the sample app. It finds the app by name, so a restart
// registers nothing new; a changed port is patched into its URLs.
func (sa *sampleApp) register(ctx context.Context, a *api) error {
	var found *appView
	for cursor := ""; found == nil; {
		var page struct {
			Data       []appView `json:"data"`
			NextCursor *string   `json:"next_cursor"`
		}
		if _, err := a.do(ctx, http.MethodGet, "/v1/apps?limit=100&cursor="+url.QueryEscape(cursor), "", nil, &page); err != nil {
			return err
		}
		for i := range page.Data {
			if page.Data[i].Name == SampleAppName {
				found = &page.Data[i]
				break
			}
		}
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	cb, inst := sa.srv.CallbackURL(), sa.srv.InstallationURL()
	var app appView
	if found == nil {
		// The key makes a create retried after a crash return the same app.
		if _, err := a.do(ctx, http.MethodPost, "/v1/apps", "sample-app-registration", map[string]any{
			"type": "private", "name": SampleAppName, "callback_url": cb, "installation_url": inst,
			"scopes": []string{"base", "deals:read", "contacts:read"},
		}, &app); err != nil {
			return err
		}
	} else {
		if _, err := a.do(ctx, http.MethodGet, "/v1/apps/"+found.ID, "", nil, &app); err != nil {
			return err
		}
		if app.CallbackURL != cb || app.InstallationURL == nil || *app.InstallationURL != inst {
			if _, err := a.do(ctx, http.MethodPatch, "/v1/apps/"+app.ID, "", map[string]any{"callback_url": cb, "installation_url": inst}, &app); err != nil {
				return err
			}
		}
	}
	var exts struct {
		Data []struct {
			ID        string `json:"id"`
			IframeURL string `json:"iframe_url"`
		} `json:"data"`
	}
	if _, err := a.do(ctx, http.MethodGet, "/v1/apps/"+app.ID+"/extensions", "", nil, &exts); err != nil {
		return err
	}
	switch {
	case len(exts.Data) == 0:
		if _, err := a.do(ctx, http.MethodPost, "/v1/apps/"+app.ID+"/extensions", "sample-app-panel-"+app.ID, map[string]any{
			"type": "custom_panel", "name": "Sample panel", "description": "Shows the launch token's claims.",
			"iframe_url": sa.srv.ExtensionURL(), "locations": []string{"deal_details"},
		}, nil); err != nil {
			return err
		}
	case exts.Data[0].IframeURL != sa.srv.ExtensionURL():
		if _, err := a.do(ctx, http.MethodPatch, "/v1/apps/"+app.ID+"/extensions/"+exts.Data[0].ID, "",
			map[string]any{"iframe_url": sa.srv.ExtensionURL()}, nil); err != nil {
			return err
		}
	}
	if app.Status == "draft" {
		if _, err := a.do(ctx, http.MethodPost, "/v1/apps/"+app.ID+"/live", "", map[string]any{}, &app); err != nil {
			return fmt.Errorf("sample app could not go live: %w", err)
		}
	}
	sa.srv.SetCredentials(sampleapp.Credentials{AppID: app.ID, ClientID: app.ClientID, ClientSecret: app.ClientSecret})
	var link struct {
		URL string `json:"url"`
	}
	if _, err := a.do(ctx, http.MethodGet, "/v1/apps/"+app.ID+"/install-link", "", nil, &link); err != nil {
		return err
	}
	if link.URL == "" {
		return errors.New("no install link")
	}
	sa.install, sa.appID = link.URL, app.ID
	return nil
}
