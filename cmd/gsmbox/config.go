package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Defaults of Config (SPEC O2: `gsmbox serve` needs nothing else).
const (
	DefaultConfigFile = "/etc/gsmbox/gsmbox.toml"
	DefaultDataDir    = "/var/lib/gsmbox"
	// DefaultListen serves the LAN: the box is reached from staff browsers.
	DefaultListen   = ":8080"
	DefaultCountry  = "FR"
	DefaultTimeZone = "Europe/Paris"
	DefaultLogLevel = "info"
)

// Config is the daemon's configuration: defaults, then the TOML file, then
// GSMBOX_* environment variables, then flags, each overriding the previous.
type Config struct {
	Data     string      `toml:"data"`
	Listen   string      `toml:"listen"`
	Modems   []string    `toml:"modems"`
	Simulate int         `toml:"simulate"`
	Country  string      `toml:"country"`  // default region for national numbers (ISO 3166 alpha-2)
	TimeZone string      `toml:"timezone"` // the box's time zone: schedules, quiet hours
	LogLevel string      `toml:"log_level"`
	Modem    ModemConfig `toml:"modem"`
}

// ModemConfig tunes the modem driver; zero values take the driver's defaults.
type ModemConfig struct {
	PIN          string        `toml:"pin"`
	BaudRate     int           `toml:"baud_rate"`
	InitCmds     []string      `toml:"init_cmds"`
	CNMI         []string      `toml:"cnmi"`
	CmdTimeout   time.Duration `toml:"cmd_timeout"`
	SendTimeout  time.Duration `toml:"send_timeout"`
	PollInterval time.Duration `toml:"poll_interval"`
}

func defaultConfig() Config {
	return Config{
		Data:     DefaultDataDir,
		Listen:   DefaultListen,
		Country:  DefaultCountry,
		TimeZone: DefaultTimeZone,
		LogLevel: DefaultLogLevel,
	}
}

// loadConfig reads the file named by --config in args (or the default file,
// which may be absent), then the environment. Flags are applied by the
// caller's flag set, whose defaults are the values returned here.
func loadConfig(env *cmdEnv, args []string) (Config, string, error) {
	cfg := defaultConfig()
	path, explicit := configFlag(args)
	if path == "" {
		path = env.getenv("GSMBOX_CONFIG")
		explicit = path != ""
	}
	if path == "" {
		path = DefaultConfigFile
	}
	md, err := toml.DecodeFile(path, &cfg)
	switch {
	case err == nil:
		if undec := md.Undecoded(); len(undec) > 0 {
			return cfg, path, fmt.Errorf("config %s: unknown settings %v", path, undec)
		}
	case errors.Is(err, fs.ErrNotExist) && !explicit:
	default:
		return cfg, path, fmt.Errorf("config %s: %w", path, err)
	}
	if err := applyEnv(env, &cfg); err != nil {
		return cfg, path, err
	}
	return cfg, path, nil
}

// configFlag finds --config in args before the flag set parses them, since
// the file sets the flags' defaults.
func configFlag(args []string) (string, bool) {
	for i, a := range args {
		a = strings.TrimLeft(a, "-")
		if a == "config" && i+1 < len(args) {
			return args[i+1], true
		}
		if v, ok := strings.CutPrefix(a, "config="); ok {
			return v, true
		}
	}
	return "", false
}

func applyEnv(env *cmdEnv, cfg *Config) error {
	str := map[string]*string{
		"GSMBOX_DATA":      &cfg.Data,
		"GSMBOX_LISTEN":    &cfg.Listen,
		"GSMBOX_COUNTRY":   &cfg.Country,
		"GSMBOX_TIMEZONE":  &cfg.TimeZone,
		"GSMBOX_LOG_LEVEL": &cfg.LogLevel,
		"GSMBOX_PIN":       &cfg.Modem.PIN,
	}
	for k, p := range str {
		if v := env.getenv(k); v != "" {
			*p = v
		}
	}
	if v := env.getenv("GSMBOX_MODEMS"); v != "" {
		cfg.Modems = strings.Split(v, ",")
	}
	if v := env.getenv("GSMBOX_SIMULATE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("GSMBOX_SIMULATE=%q: want a number of virtual modems", v)
		}
		cfg.Simulate = n
	}
	return nil
}

// addDataFlags adds the flags every subcommand takes.
func addDataFlags(fs *flag.FlagSet, cfg *Config) {
	fs.StringVar(&cfg.Data, "data", cfg.Data, "state directory: database and control socket (env GSMBOX_DATA)")
	fs.String("config", DefaultConfigFile, "configuration file (TOML; env GSMBOX_CONFIG)")
}

// listFlag is a repeatable string flag; the first use on the command line
// replaces the list from the file or environment.
type listFlag struct {
	list *[]string
	set  bool
}

func (l *listFlag) String() string {
	if l.list == nil {
		return ""
	}
	return strings.Join(*l.list, ",")
}

func (l *listFlag) Set(v string) error {
	if !l.set {
		*l.list, l.set = nil, true
	}
	*l.list = append(*l.list, v)
	return nil
}

// countFlag is an optional-value number flag: `--simulate` means 1,
// `--simulate=N` means N.
type countFlag struct{ n *int }

func (c countFlag) String() string {
	if c.n == nil {
		return "0"
	}
	return strconv.Itoa(*c.n)
}

func (c countFlag) Set(v string) error {
	if v == "true" {
		*c.n = 1
		return nil
	}
	if v == "false" {
		*c.n = 0
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 64 {
		return fmt.Errorf("want a number of virtual modems from 0 to 64, got %q", v)
	}
	*c.n = n
	return nil
}

func (c countFlag) IsBoolFlag() bool { return true }

// dumpConfig writes cfg as TOML (--config-dump).
func dumpConfig(w io.Writer, cfg Config) error {
	return toml.NewEncoder(w).Encode(cfg)
}

// commandFlags loads the configuration and returns a subcommand's flag set
// with the flags every subcommand takes; flags then override cfg.
func commandFlags(env *cmdEnv, args []string, name, synopsis string) (*Config, *flag.FlagSet, error) {
	cfg, _, err := loadConfig(env, args)
	if err != nil {
		return nil, nil, err
	}
	fs := newFlagSet(env, name, synopsis)
	addDataFlags(fs, &cfg)
	return &cfg, fs, nil
}
