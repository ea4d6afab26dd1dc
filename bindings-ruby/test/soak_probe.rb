# frozen_string_literal: true

# What the soak (test_soak.rb) watches and what "flat" means there, as in the core's soak
# (tests/soak): this process's RSS and open file descriptors and the TCP sockets in TIME_WAIT on
# the server's port, read from Linux's /proc every few operations of a phase, then judged against
# the bounds below. docs/soak.md explains them.
module SoakProbe
  # RSS growth allowed within a phase, from the sample after its first tenth to its end. Wider
  # than Python's 4 MiB: a closed client keeps about 150 KiB (its TLS roots, its pool) until the
  # GC frees it, a hundred or two are waiting at a time, and the allocator keeps the pages of
  # the largest such crowd the phase has seen (+3.8 MiB seen in 1,000 fresh clients).
  RSS_GROWTH_BOUND_MIB = 8.0
  # Descriptors a phase may hold above where it started, counted after a GC: a closed client that
  # Ruby has not collected yet keeps its pooled connections open until it does (docs/soak.md), so
  # each reading counts them (fds_before_gc, reported), collects, and gives the runtime's threads
  # up to SETTLE_AFTER_GC to close the freed clients' sockets (they do it shortly after, not at
  # once).
  FD_SLACK_IN_PHASE = 8
  SETTLE_AFTER_GC = 0.25
  # Descriptors left once the phase's clients are closed and dropped.
  FD_SLACK_AFTER = 2
  # A phase of calls reuses one pooled connection: hardly any TIME_WAIT.
  CALLS_TIME_WAIT = 4
  # A cycle leaves at most the connections it opened, fewer than its five requests (the core's
  # judge.rs says which); measured: 1 to 2.7 a cycle.
  TIME_WAIT_PER_CYCLE = 4
  # Closed connections are torn down by the runtime's threads shortly after.
  SETTLE_SECONDS = 2.0
  SAMPLES_PER_PHASE = 10

  # count times MCPSTREAM_SOAK_SCALE (1 in the test suite; `make soak` sets more).
  def self.scaled(count) = [(count * Float(ENV.fetch("MCPSTREAM_SOAK_SCALE", "1"))).round, 1].max

  def self.now = Process.clock_gettime(Process::CLOCK_MONOTONIC)

  # One reading of the process and of the kernel's socket table.
  Reading = Struct.new(:rss_kib, :peak_rss_kib, :open_fds, :time_wait, :fds_before_gc) do
    def self.take(port)
      fds_before_gc = open_fds
      GC.start
      status = File.read("/proc/self/status")
      field = ->(name) { status[/^#{name}:\s+(\d+)/, 1].to_i }
      new(field.call("VmRSS"), field.call("VmHWM"), open_fds, time_wait(port), fds_before_gc)
    end

    def self.open_fds = Dir.children("/proc/self/fd").size

    # TIME_WAIT is state 06; whichever end closed first holds it, so either end may be the port.
    def self.time_wait(port)
      suffix = format(":%04X", port)
      %w[/proc/net/tcp /proc/net/tcp6].sum do |table|
        next 0 unless File.exist?(table)

        File.readlines(table).drop(1).count do |line|
          fields = line.split
          fields[3] == "06" && (fields[1].end_with?(suffix) || fields[2].end_with?(suffix))
        end
      end
    end

    def rss_mib = rss_kib / 1024.0
  end

  Sample = Struct.new(:op, :seconds, :reading)

  # One workload repeated ops times; call #after(n) after each operation n (from 1), then
  # #finish once its clients are closed and dropped.
  class Phase
    attr_reader :name, :ops, :samples, :seconds, :after_clients

    def initialize(name, ops, port, calls:)
      @name = name
      @ops = ops
      @port = port
      @calls = calls
      @samples = []
      @every = [ops / SAMPLES_PER_PHASE, 1].max
      @started = SoakProbe.now
      @seconds = 0.0
      @after_clients = nil
      take(0)
    end

    def after(op)
      take(op) if (op % @every).zero? || op == @ops
    end

    def finish
      @seconds = SoakProbe.now - @started
      limit = @samples.first.reading.open_fds + FD_SLACK_AFTER
      deadline = SoakProbe.now + SETTLE_SECONDS
      reading = Reading.take(@port)
      while reading.open_fds > limit && SoakProbe.now < deadline
        sleep 0.05
        reading = Reading.take(@port)
      end
      @after_clients = reading
    end

    def warmed_up
      tenth = (@ops + 9) / 10
      @samples.find { |s| s.op >= tenth } || @samples.first
    end

    # Every bound this phase broke, each as a sentence; empty if it stayed flat.
    def problems
      first = @samples.first.reading
      found = []
      growth = @samples.last.reading.rss_mib - warmed_up.reading.rss_mib
      if growth > RSS_GROWTH_BOUND_MIB
        found << format("RSS grew by %.2f MiB after warm-up (bound %.1f MiB)", growth, RSS_GROWTH_BOUND_MIB)
      end
      if most(:open_fds) > first.open_fds + FD_SLACK_IN_PHASE
        found << "open fds went from #{first.open_fds} to #{most(:open_fds)} (bound +#{FD_SLACK_IN_PHASE})"
      end
      if @after_clients && @after_clients.open_fds > first.open_fds + FD_SLACK_AFTER
        found << "#{@after_clients.open_fds} fds open once the clients were gone, #{first.open_fds} before " \
                 "(bound +#{FD_SLACK_AFTER})"
      end
      allowed = @calls ? CALLS_TIME_WAIT : TIME_WAIT_PER_CYCLE * @ops
      if most(:time_wait) > first.time_wait + allowed
        found << "TIME_WAIT sockets went from #{first.time_wait} to #{most(:time_wait)} (bound +#{allowed})"
      end
      found
    end

    def most(field) = @samples.map { |s| s.reading[field] }.max

    def row
      first = @samples.first.reading
      last = @samples.last.reading
      after = @after_clients || last
      format("| %s | %d | %.1f | %.0f | %.1f / %.1f / %.1f | %.1f | %d / %d / %d | %d | %d / %d / %d | %s |",
             @name, @ops, @seconds, @ops / [@seconds, 1e-9].max, first.rss_mib, warmed_up.reading.rss_mib,
             last.rss_mib, most(:peak_rss_kib) / 1024.0, first.open_fds, most(:open_fds), after.open_fds,
             most(:fds_before_gc), first.time_wait, most(:time_wait), last.time_wait, problems.empty? ? "flat" : "**NOT FLAT**")
    end

    private

    def take(op)
      reading = Reading.take(@port)
      limit = (@samples.first&.reading || reading).open_fds + FD_SLACK_IN_PHASE
      deadline = SoakProbe.now + SETTLE_AFTER_GC
      previous = nil
      # Until the count is within the bound and has stopped falling, so that it is the settled one.
      while (reading.open_fds > limit || reading.open_fds != previous) && SoakProbe.now < deadline
        previous = reading.open_fds
        sleep 0.01
        reading.open_fds = Reading.open_fds
      end
      @samples << Sample.new(op, SoakProbe.now - @started, reading)
    end
  end

  # A summary row per phase, then every sample, as Markdown.
  def self.write_report(path, title, phases)
    lines = ["# Soak: #{title}", "",
             "RSS growth bound #{RSS_GROWTH_BOUND_MIB} MiB per phase after warm-up; " \
             "MCPSTREAM_SOAK_SCALE=#{ENV.fetch("MCPSTREAM_SOAK_SCALE", "1")}.", "",
             "| phase | operations | seconds | per second | RSS start / warmed / end MiB | peak RSS MiB " \
             "| fds start / max / after | fds held until GC, max | TIME_WAIT start / max / end | verdict |",
             "| --- | ---: | ---: | ---: | --- | ---: | --- | ---: | --- | --- |",
             *phases.map(&:row), "", "## Samples", "",
             "| phase | operation | seconds | RSS MiB | open fds | TIME_WAIT | fds before GC |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    phases.each do |phase|
      phase.samples.each do |s|
        r = s.reading
        lines << format("| %s | %d | %.2f | %.1f | %d | %d | %d |", phase.name, s.op, s.seconds, r.rss_mib, r.open_fds,
                        r.time_wait, r.fds_before_gc)
      end
    end
    FileUtils.mkdir_p(File.dirname(path))
    File.write(path, "#{lines.join("\n")}\n")
  end
end
