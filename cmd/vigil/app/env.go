package app

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// applyEnv overrides scalar config fields from the environment:
// VIGIL_ + the YAML path in capitals with "_" between levels
// (VIGIL_LISTEN, VIGIL_INGEST_READ_TIMEOUT, VIGIL_DEMO_CAMERAS). Lists
// (cameras) are not overridable this way.
func applyEnv(c *Config, lookup func(string) (string, bool)) error {
	return walkEnv(reflect.ValueOf(c).Elem(), "VIGIL", "", lookup)
}

func walkEnv(v reflect.Value, envPrefix, yamlPrefix string, lookup func(string) (string, bool)) error {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		env := envPrefix + "_" + strings.ToUpper(tag)
		path := tag
		if yamlPrefix != "" {
			path = yamlPrefix + "." + tag
		}
		fv := v.Field(i)
		if f.Type.Kind() == reflect.Struct {
			if err := walkEnv(fv, env, path, lookup); err != nil {
				return err
			}
			continue
		}
		raw, ok := lookup(env)
		if !ok {
			continue
		}
		if err := setScalar(fv, raw); err != nil {
			return fmt.Errorf("config: %s (from %s=%q): %w", path, env, raw, err)
		}
	}
	return nil
}

func setScalar(v reflect.Value, raw string) error {
	if v.Type() == reflect.TypeOf(time.Duration(0)) {
		d, err := time.ParseDuration(raw)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(raw)
	case reflect.Int, reflect.Int64: // byte counts and frame counts
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return err
		}
		v.SetInt(n)
	case reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return err
		}
		v.SetBool(b)
	case reflect.Float64:
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return err
		}
		v.SetFloat(f)
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}
