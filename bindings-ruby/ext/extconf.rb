# frozen_string_literal: true

# Writes the Makefile RubyGems runs to build the native extension with cargo. It needs no gem
# beyond Ruby's own (rubygems.org may be unreachable). The cargo target directory is removed
# after install unless CARGO_TARGET_DIR names one to keep (as `make test` does, for speed).
# CARGO may name another cargo (`make` sets tests/packaging/cargo-manylinux, which builds for a
# target triple of its own): the library is copied from wherever cargo reports it wrote it.
require "rbconfig"

root = File.expand_path("../..", __dir__)
keep = ENV.key?("CARGO_TARGET_DIR")
target = ENV.fetch("CARGO_TARGET_DIR", File.join(Dir.pwd, "cargo-target"))
cargo = ENV.fetch("CARGO", "cargo")
so = "mcpstream_native.#{RbConfig::CONFIG['DLEXT']}"
messages = "cargo-messages.json"
# Prints the path of the cdylib cargo built, read from its JSON messages (one per line). Like
# the Makefile, it is extconf's output: `make clean`, which RubyGems runs first, keeps it.
File.write("cargo_library.rb", <<~RUBY)
  require "json"
  library = File.foreach(ARGV.fetch(0)).map { |line| JSON.parse(line) }.find do |message|
    message["reason"] == "compiler-artifact" && message["target"]["kind"].include?("cdylib")
  end
  abort "cargo reported no cdylib in \#{ARGV.fetch(0)}" unless library
  print library["filenames"].first
RUBY

# Newer RubyGems pass sitearchdir to `make install`; older ones do not, and then the gem's own
# lib directory (on its require path) is the place.
File.write("Makefile", <<~MAKE)
  sitearchdir ?= #{root}/bindings-ruby/lib

  all: #{so}

  #{so}:
  \tRUBY=#{RbConfig.ruby} #{cargo} build --release -p mcpstream-ruby --manifest-path #{root}/Cargo.toml --target-dir #{target} --message-format=json-render-diagnostics > #{messages}
  \tcp "$$(#{RbConfig.ruby} cargo_library.rb #{messages})" #{so}

  install: #{so}
  \tmkdir -p $(sitearchdir)
  \tcp #{so} $(sitearchdir)/
  #{keep ? "" : "\trm -rf #{target}"}

  clean:
  \trm -f #{so} #{messages}
MAKE
