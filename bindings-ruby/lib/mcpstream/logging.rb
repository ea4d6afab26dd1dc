# frozen_string_literal: true

module MCPStream
  class << self
    # Where the client's own log records go: a Logger (or anything with #add(severity,
    # message, progname) and #level). nil, the default, makes none. Records name the part of
    # the client as progname ("mcpstream.client", "mcpstream.auth.authorizer"); session ids
    # appear only at DEBUG, tokens never. The level is read when the logger is set, when a
    # client is made and at each connect.
    attr_reader :logger

    def logger=(logger)
      @logger = logger
      Logging.sync
    end
  end

  # Records come from the runtime's threads; a Ruby thread of this module hands them to the
  # logger (started with the first logger, and again in a forked child).
  module Logging
    @lock = Mutex.new
    @thread = nil

    def self.sync
      logger = MCPStream.logger
      NativeClient.log_level = logger&.level
      start_thread if logger
    end

    # Before a call: the thread is gone in a forked child (only the forking thread lives on).
    def self.ensure_thread
      start_thread unless @thread&.alive?
    end

    def self.start_thread
      @lock.synchronize do
        next if @thread&.alive?

        @thread = Thread.new do
          Thread.current.name = "mcpstream-log"
          loop { deliver(*NativeClient.next_log_record.to_a) }
        end
      end
    end

    def self.deliver(severity = nil, progname = nil, message = nil)
      return unless severity

      MCPStream.logger&.add(severity, message, progname)
    rescue StandardError => e
      warn("mcpstream: the logger raised #{e.class}: #{e.message}")
    end
  end
end
