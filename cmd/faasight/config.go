package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// configFlag names the YAML file flag every command that takes settings has.
const configFlag = "config"

// addConfigFlag and applyConfig give a command the documented precedence
// flags > FAASIGHT_* environment > YAML file > defaults. The YAML keys are
// the flag names; unknown keys are errors so that a typo does not silently
// fall back to a default.
func addConfigFlag(cmd *cobra.Command) {
	cmd.Flags().String(configFlag, "", "YAML file with settings; keys are flag names (e.g. api-addr: 127.0.0.1:8080)")
}

func applyConfig(cmd *cobra.Command) error {
	fs := cmd.Flags()
	file := map[string]any{}
	if path, _ := fs.GetString(configFlag); path != "" {
		if err := readConfigFile(path, file); err != nil {
			return err
		}
		var unknown []string
		for k := range file {
			if f := fs.Lookup(k); f == nil || k == configFlag {
				unknown = append(unknown, k)
			}
		}
		if len(unknown) > 0 {
			sort.Strings(unknown)
			return fmt.Errorf("config %s: unknown keys %s (valid keys are the flags of `faasight %s --help`)",
				path, strings.Join(unknown, ", "), cmd.Name())
		}
	}
	var errs []error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || f.Name == configFlag || f.Name == "help" {
			return
		}
		env := envName(f.Name)
		if v, ok := os.LookupEnv(env); ok {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", env, v, err))
			}
			return
		}
		if v, ok := file[f.Name]; ok {
			if err := f.Value.Set(fmt.Sprint(v)); err != nil {
				errs = append(errs, fmt.Errorf("config key %s: %q: %w", f.Name, fmt.Sprint(v), err))
			}
		}
	})
	return errors.Join(errs...)
}

func readConfigFile(path string, into map[string]any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&into); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return nil
}

func envName(flag string) string {
	return "FAASIGHT_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}
