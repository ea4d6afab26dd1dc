# frozen_string_literal: true

module MCPStream
  DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024

  # Opens once; waiters wait until then, or for at most the given seconds (Ruby 3.1's Queue#pop
  # has no timeout).
  class Latch
    def initialize
      @mutex = Mutex.new
      @opened = ConditionVariable.new
      @open = false
    end

    def open!
      @mutex.synchronize do
        @open = true
        @opened.broadcast
      end
    end

    def wait(seconds)
      deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + seconds
      @mutex.synchronize do
        until @open
          left = deadline - Process.clock_gettime(Process::CLOCK_MONOTONIC)
          break if left <= 0

          @opened.wait(@mutex, left)
        end
      end
    end
  end
  private_constant :Latch

  # A Model Context Protocol client for the Streamable HTTP transport.
  #
  # Calls release the GVL while they wait, so other Ruby threads keep running, and
  # Interrupt, Thread#kill, Thread#raise and Timeout.timeout stop a waiting call (the client
  # stays usable). One client may be shared by many threads.
  class Client
    # Connects, yields the client, and always closes the session.
    def self.open(url, **options)
      client = new(url, **options)
      client.connect
      yield client
    ensure
      client&.close
    end

    def initialize(url, headers: {}, timeout: 30, close_timeout: 5, max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
                   client_info: nil, on_session_expired: :raise, standalone_stream: true)
      @url = url.to_s
      @config = [
        headers.map { |name, value| [name.to_s, value.to_s] },
        Float(timeout), Float(close_timeout), Integer(max_response_bytes),
        client_info && JSON.generate(client_info), standalone_stream ? true : false, on_session_expired.to_s
      ]
      @handlers = {}
      @progress = {}
      @progress_ids = 0
      @lock = Mutex.new
      @native = nil
      @dispatcher = nil
      native # settings are checked now, not at the first call
    end

    # Handlers for server requests: the block gets the params Hash and returns the result
    # Hash; raising RPCError answers with that JSON-RPC error (any other error: -32603).
    # Register them before the first call: capabilities are sent when connecting.
    def on_sampling(&block) = register(:sampling, block)
    def on_elicitation(&block) = register(:elicitation, block)
    def on_roots(&block) = register(:roots, block)
    # Server notifications: the block gets (method, params).
    def on_notification(&block) = register(:notification, block)
    # Session changes: the block gets (old_id, new_id, reason Symbol).
    def on_session_change(&block) = register(:session_change, block)

    def session_id = native.session_id
    def protocol_version = native.protocol_version
    def server_info = initialize_result&.fetch("serverInfo", nil)
    def server_capabilities = initialize_result&.fetch("capabilities", nil)

    # Runs the initialize handshake; returns the server's InitializeResult as a Hash.
    def connect
      start_dispatcher unless @handlers.empty?
      parse(run("connect"))
    end

    # The block, if given, gets the params Hash of each progress notification for this call.
    def request(method, params = nil, timeout: nil, &on_progress)
      parse(run("request", method.to_s, dump(params), timeout, &on_progress))
    end

    def notify(method, params = nil)
      run("notify", method.to_s, dump(params))
      nil
    end

    def ping
      run("ping")
      nil
    end

    # All tools, following nextCursor: {"tools" => [...]}.
    def list_tools = parse(run("list_tools"))

    # A tool's own failure is a result with "isError" => true, not an exception. The block, if
    # given, gets the params Hash of each progress notification for this call.
    def call_tool(name, arguments = {}, timeout: nil, &on_progress)
      parse(run("call_tool", name.to_s, dump(arguments), timeout, &on_progress))
    end

    def list_resources = parse(run("list_resources"))
    def read_resource(uri) = parse(run("read_resource", uri.to_s))
    def list_prompts = parse(run("list_prompts"))
    def get_prompt(name, arguments = {}) = parse(run("get_prompt", name.to_s, dump(arguments)))

    # Ends the session (DELETE); local state is cleared whatever happens. Returns :terminated,
    # :not_supported (405), :already_gone (404), :no_session or :failed.
    def close
      run("close").to_sym
    ensure
      stop_dispatcher
    end

    # Adopts a session made earlier (by another client or process) without initialize. Nothing
    # is sent; if the server no longer knows the session, the next call raises
    # SessionExpiredError.
    def resume(session_id, protocol_version)
      start_dispatcher unless @handlers.empty?
      run("resume", nil, JSON.generate({ session_id: session_id.to_s, protocol_version: protocol_version.to_s }))
      nil
    end

    def inspect = "#<#{self.class} #{protocol_version ? "connected" : "not connected"}>"

    private

    def native
      @native ||= NativeClient.new(@url, @config + [@handlers.keys.map(&:to_s)])
    end

    def register(kind, block)
      raise ArgumentError, "on_#{kind} needs a block" unless block
      raise ArgumentError, "register handlers before the first call" if @native&.session_id || @dispatcher

      @handlers[kind] = block
      @native = nil # rebuilt with this handler on the next call
      self
    end

    def run(op, text = nil, json = nil, timeout = nil, &on_progress)
      return native.call(op, text, json, timeout, nil) unless on_progress

      start_dispatcher
      delivered = Latch.new
      id = @lock.synchronize do
        @progress_ids += 1
        @progress[@progress_ids] = [on_progress, delivered]
        @progress_ids
      end
      begin
        native.call(op, text, json, timeout, id)
      ensure
        # Every progress callback of this call has run once the dispatcher sees its end.
        delivered.wait(5)
        @lock.synchronize { @progress.delete(id) }
      end
    end

    # Ruby code cannot run on the runtime's threads: handler jobs come to this thread instead.
    def start_dispatcher
      @lock.synchronize do
        @dispatcher = nil unless @dispatcher&.alive?
        @dispatcher ||= Thread.new(native) do |client|
          Thread.current.name = "mcpstream-handlers"
          loop { (job = client.next_job) && dispatch(client, *job) }
        end
      end
    end

    def stop_dispatcher
      thread = @lock.synchronize { @dispatcher.tap { @dispatcher = nil } }
      thread&.kill&.join
    end

    def dispatch(client, id, kind, first, second, third)
      case kind
      when "sampling", "elicitation", "roots"
        # Each on its own thread, so a slow handler blocks nothing else.
        Thread.new { answer(client, id, @handlers.fetch(kind.to_sym), first) }
      when "notification" then report { @handlers.fetch(:notification).call(first, second && JSON.parse(second)) }
      when "session_change" then report { @handlers.fetch(:session_change).call(first, second, third.to_sym) }
      when "progress"
        block, = @lock.synchronize { @progress[Integer(first)] }
        report { block&.call(JSON.parse(second)) }
      when "progress_end"
        _, delivered = @lock.synchronize { @progress[Integer(first)] }
        delivered&.open!
      end
    end

    def answer(client, id, handler, params)
      result = handler.call(params && JSON.parse(params))
      client.answer(id, true, JSON.generate(result), 0, "")
    rescue RPCError => e
      client.answer(id, false, e.data.nil? ? nil : JSON.generate(e.data), e.code, e.rpc_message)
    rescue StandardError => e
      client.answer(id, false, nil, -32_603, "#{e.class}: #{e.message}")
    end

    # A failing callback must not stop the dispatcher; tell the developer and go on.
    def report
      yield
    rescue StandardError => e
      warn "mcpstream: handler raised #{e.class}: #{e.message}"
    end

    def initialize_result
      text = native.initialize_result_json
      text && JSON.parse(text)
    end

    def parse(text) = text.nil? ? {} : JSON.parse(text)
    def dump(value) = value.nil? ? nil : JSON.generate(value)
  end
end
