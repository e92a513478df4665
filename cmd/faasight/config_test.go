package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faasight/faasight/internal/chtest"
)

// TestConfigPrecedence: flags > FAASIGHT_* environment > YAML file > defaults.
func TestConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "faasight.yaml")
	if err := os.WriteFile(file, []byte("api-addr: 127.0.0.1:1111\notlp-grpc-addr: 127.0.0.1:2222\ntenant: from-file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FAASIGHT_OTLP_GRPC_ADDR", "127.0.0.1:3333")
	t.Setenv("FAASIGHT_TENANT", "from-env")
	cmd := newServeCommand()
	if err := cmd.ParseFlags([]string{"--config", file, "--tenant", "from-flag"}); err != nil {
		t.Fatal(err)
	}
	if err := applyConfig(cmd); err != nil {
		t.Fatal(err)
	}
	for flag, want := range map[string]string{
		"api-addr":       "127.0.0.1:1111", // file only
		"otlp-grpc-addr": "127.0.0.1:3333", // env beats file
		"tenant":         "from-flag",      // flag beats env and file
		"otlp-http-addr": "127.0.0.1:4318", // default
	} {
		if got := cmd.Flags().Lookup(flag).Value.String(); got != want {
			t.Errorf("%s = %q, want %q", flag, got, want)
		}
	}
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	file := filepath.Join(t.TempDir(), "faasight.yaml")
	if err := os.WriteFile(file, []byte("api-adr: 127.0.0.1:1111\nqueue-size: lots\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := newServeCommand()
	if err := cmd.ParseFlags([]string{"--config", file}); err != nil {
		t.Fatal(err)
	}
	err := applyConfig(cmd)
	if err == nil || !strings.Contains(err.Error(), "api-adr") {
		t.Fatalf("unknown key: %v", err)
	}
	os.WriteFile(file, []byte("queue-size: lots\n"), 0o644) //nolint:errcheck
	t.Setenv("FAASIGHT_FSYNC", "maybe")
	cmd = newServeCommand()
	cmd.ParseFlags([]string{"--config", file}) //nolint:errcheck
	err = applyConfig(cmd)
	if err == nil || !strings.Contains(err.Error(), "queue-size") || !strings.Contains(err.Error(), "FAASIGHT_FSYNC") {
		t.Fatalf("bad values: %v, want both named", err)
	}
}

func TestMigrateCommand(t *testing.T) {
	srv := chtest.Start(t)
	db := chtest.NewDatabase(t, srv)
	for i, want := range []string{"applied 0001_invocations", "schema version 2"} {
		root := newRootCommand()
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetArgs([]string{"migrate", "--clickhouse", chtest.DSN(srv, db)})
		if err := root.Execute(); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), want) {
			t.Errorf("run %d: output %q lacks %q", i+1, out.String(), want)
		}
		if i == 1 && strings.Contains(out.String(), "applied") {
			t.Errorf("second run applied migrations again: %q", out.String())
		}
	}
}
