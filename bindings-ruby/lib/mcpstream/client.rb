# frozen_string_literal: true

require_relative "tracing"

module MCPStream
  # A Model Context Protocol client for the Streamable HTTP transport.
  #
  # Calls release the GVL while they wait, so other Ruby threads keep running, and
  # Interrupt, Thread#kill, Thread#raise and Timeout.timeout stop a waiting call (the client
  # stays usable). One client may be shared by many threads, and handler blocks may call the
  # client they belong to.
  #
  # Settings left nil take the core's defaults: timeout 30 s for one request, connect_timeout
  # 10 s, close_timeout 5 s for the DELETE of #close, max_request_time 600 s however often
  # progress resets the timeout, max_response_bytes 16 MiB for a JSON body or one SSE event,
  # on_session_expired :raise, standalone_stream on, and standalone_open_timeout 1 s (how long
  # #connect waits for the server to answer the standalone GET stream).
  #
  # The protocol era: era :auto (the default) asks the server with server/discover and falls
  # back to the session era's initialize; :legacy only initializes; :modern or a modern
  # version ("2026-07-28") requires the modern era, with no fallback. prior is a #verdict saved
  # from an earlier client: #connect trusts it and sends no probe. probe_timeout (10 s, never
  # more than timeout) bounds the probe, and max_input_rounds (10) the rounds a modern call may
  # ask for input, which the on_elicitation, on_sampling and on_roots blocks answer from
  # inside the call.
  #
  # Per call, lists, reads and prompts take timeout: (seconds, for each request; a list sends
  # one per page), fresh: (modern era: ask the server even if a result it allowed to be reused
  # is still kept) and log_level: (modern era: the level of log messages the server may send
  # during this request, over #set_logging_level); call_tool and request take log_level: too.
  #
  # auth: OAuth or ClientCredentials for servers that need authorization (not together with
  # an Authorization header). Its on_authorize and token store run on threads of their own
  # while the call that needed them waits.
  #
  # Handlers may be given as keyword arguments (anything that responds to #call: a lambda, a
  # Method) or registered with the on_* methods before the first call.
  class Client
    # Connects, yields the client, closes the session when the block ends (however it ends), and
    # returns the block's value. Takes what Client.new takes, handlers included:
    # Client.open(url, on_elicitation: ->(params) { ... }) { |client| ... }.
    def self.open(url, **options)
      raise ArgumentError, "Client.open needs a block (Client.new(url).connect otherwise)" unless block_given?

      client = new(url, **options)
      client.connect
      yield client
    ensure
      client&.close
    end

    def initialize(url, headers: nil, timeout: nil, connect_timeout: nil, close_timeout: nil, max_request_time: nil,
                   max_response_bytes: nil, client_info: nil, on_session_expired: nil, standalone_stream: nil,
                   standalone_open_timeout: nil, era: nil, prior: nil, probe_timeout: nil, max_input_rounds: nil,
                   auth: nil, on_sampling: nil, on_elicitation: nil, on_roots: nil, on_notification: nil,
                   on_session_change: nil, http_version: nil, ca_file: nil, ca_pem: nil, client_cert: nil,
                   client_key: nil, danger_skip_tls_verify: false, proxy: :env, idle_timeout: nil, tcp_keepalive: nil)
      @url = url.to_s
      auth_settings, @on_authorize, @token_store = auth && AuthSettings.native(auth)
      settings = {
        headers: headers&.to_h { |name, value| [name.to_s, value.to_s] },
        timeout: timeout, connect_timeout: connect_timeout, close_timeout: close_timeout,
        max_request_time: max_request_time, max_response_bytes: max_response_bytes, client_info: client_info,
        on_session_expired: on_session_expired&.to_s, standalone_stream: standalone_stream,
        standalone_open_timeout: standalone_open_timeout, era: era&.to_s, prior: prior,
        probe_timeout: probe_timeout, max_input_rounds: max_input_rounds, auth: auth_settings,
        http_version: http_version&.to_s, ca_file: ca_file&.to_s, ca_pem: ca_pem, client_cert: client_cert&.to_s,
        client_key: client_key&.to_s, danger_skip_tls_verify: danger_skip_tls_verify || nil,
        idle_timeout: idle_timeout, tcp_keepalive: tcp_keepalive
      }.compact
      # nil turns proxies off, the environment's too.
      settings[:proxy] = proxy&.to_s unless proxy == :env
      @options = JSON.generate(settings)
      @handlers = {}
      @lock = Mutex.new
      @native = nil
      @dispatcher = nil
      @dispatcher_generation = 0
      handlers = { sampling: on_sampling, elicitation: on_elicitation, roots: on_roots, notification: on_notification,
                   session_change: on_session_change }
      handlers.each { |kind, handler| register(kind, handler) if handler }
      Logging.sync if MCPStream.logger
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
    # From the server's InitializeResult or DiscoverResult.
    def server_info = parse_optional(native.server_info)
    def server_capabilities = parse_optional(native.server_capabilities)
    # The era #connect settled on: :legacy (the session era) or :modern (2026-07-28, no
    # session); nil when not connected.
    def era = native.era&.to_sym
    # What #connect learnt about the server's era, as JSON-ready Hash: {"era" => "legacy"} or
    # {"era" => "modern", "version" => ..., "discover" => {...}}. Save it and pass it as prior:
    # to a later client (another run, say) so it connects without a probe.
    def verdict = parse_optional(native.verdict)
    def instructions = native.instructions
    # The server's description shaped as a DiscoverResult in either era (in the session era
    # built from the InitializeResult, with the negotiated version).
    def discover_result = parse_optional(native.discover_result)

    # Connects in the era asked for; returns the server's InitializeResult (session era) or
    # DiscoverResult (modern era) as a Hash.
    def connect
      Logging.sync if MCPStream.logger
      start_dispatcher unless @handlers.empty?
      run(op(:connect))
    end

    # The block, if given, gets the params Hash of each progress notification for this call.
    def request(method, params = nil, timeout: nil, log_level: nil, &on_progress)
      fields = { method: method.to_s, params: params, timeout: timeout, log_level: log_level&.to_s }
      run_request(:request, fields, &on_progress)
    end

    # The modern era has no notifications over HTTP: ArgumentError there.
    def notify(method, params = nil)
      run(op(:notify, method: method.to_s, params: params))
    end

    # server/discover in the modern era, which has no ping.
    def ping = run(op(:ping))

    # All tools, following nextCursor: {"tools" => [...]}.
    def list_tools(timeout: nil, fresh: false, log_level: nil)
      run_request(:list_tools, per_call(timeout, fresh, log_level))
    end

    # A tool's own failure (an unknown tool, say) is a result with "isError" => true, not an
    # exception, unless raise_on_error: true: then it raises ToolError, which carries the result.
    # The block, if given, gets the params Hash of each progress notification for this call.
    def call_tool(name, arguments = {}, timeout: nil, log_level: nil, raise_on_error: false, &on_progress)
      fields = { name: name.to_s, arguments: arguments, timeout: timeout, log_level: log_level&.to_s,
                 raise_on_error: raise_on_error }
      run_request(:call_tool, fields, &on_progress)
    end

    def list_resources(timeout: nil, fresh: false, log_level: nil)
      run_request(:list_resources, per_call(timeout, fresh, log_level))
    end

    def read_resource(uri, timeout: nil, fresh: false, log_level: nil)
      run_request(:read_resource, { uri: uri.to_s, **per_call(timeout, fresh, log_level) })
    end

    def list_prompts(timeout: nil, fresh: false, log_level: nil)
      run_request(:list_prompts, per_call(timeout, fresh, log_level))
    end

    def get_prompt(name, arguments = {}, timeout: nil, fresh: false, log_level: nil)
      run_request(:get_prompt, { name: name.to_s, arguments: arguments, **per_call(timeout, fresh, log_level) })
    end

    # Forgets every result kept under the server's ttlMs hints (modern era), so the next list or
    # read asks the server; fresh: true does that for one call.
    def clear_cache = run(op(:clear_cache))

    # Subscribes to the notifications asked for (subscriptions/listen, modern era only:
    # ArgumentError in the session era, whose notifications come on the standalone stream to
    # on_notification) and returns once the server acknowledged the filter; the events reach
    # on_notification as well. With a block, yields each SubscriptionEvent until the
    # subscription ends (or the block breaks out), closes it and returns nil; without one,
    # returns the Subscription, for #next_event, #each and #close.
    def listen(tools_list_changed: false, prompts_list_changed: false, resources_list_changed: false,
               resource_subscriptions: nil)
      filter = { tools_list_changed: tools_list_changed, prompts_list_changed: prompts_list_changed,
                 resources_list_changed: resources_list_changed, resource_subscriptions: resource_subscriptions }
      prepare_dispatcher
      subscription = Subscription.new(native.listen(JSON.generate(filter)))
      return subscription unless block_given?

      begin
        subscription.each { |event| yield event }
      ensure
        subscription.close
      end
      nil
    end

    # Asks the server for log messages (on_notification gets them) of level and above: debug,
    # info, notice, warning, error, critical, alert or emergency. The modern era sends nothing:
    # every later request carries the level.
    def set_logging_level(level) = run(op(:set_logging_level, level: level.to_s))

    # Ends the session (DELETE); local state is cleared whatever happens. Returns :terminated,
    # :not_supported (405), :already_gone (404), :no_session (also in the modern era, which
    # has no session), :failed, or :left_to_parent in a forked child whose session came from
    # the parent (it is forgotten here, not ended on the server).
    def close
      run(op(:close)).to_sym
    ensure
      stop_dispatcher
    end

    # Adopts a session made earlier (by another client or process) without initialize. Nothing
    # is sent; if the server no longer knows the session, the next call raises
    # SessionExpiredError.
    def resume(session_id, protocol_version)
      start_dispatcher unless @handlers.empty?
      run(op(:resume, session_id: session_id.to_s, protocol_version: protocol_version.to_s))
    end

    # Finishes an authorization that raised AuthorizationRequired (an OAuth without
    # on_authorize): callback_url is the URL the authorization server sent the browser back
    # to. Then call again (or #connect).
    def complete_authorization(callback_url)
      run(op(:complete_authorization, callback_url: callback_url.to_s))
    end

    def inspect = "#<#{self.class} #{era ? "connected (#{era})" : "not connected"}>"

    private

    def native
      @native ||= NativeClient.new(@url, @options, @handlers.keys.map(&:to_s) + auth_kinds)
    end

    # The authorization objects the native client calls back, as job kinds.
    def auth_kinds = [*("authorize" if @on_authorize), *("token_store" if @token_store)]

    # An operation for the native layer: a Hash naming it and its fields, which the native layer
    # reads without JSON text when it holds only plain JSON values (JSON.generate's otherwise).
    def op(name, **fields) = fields.merge(op: name.to_s)

    def per_call(timeout, fresh, log_level) = { timeout: timeout, fresh: fresh, log_level: log_level&.to_s }

    def register(kind, block)
      raise ArgumentError, "on_#{kind} needs a block (or something that responds to #call)" unless block.respond_to?(:call)
      # Not the session id: a stateless server and the modern era have none, yet rebuilding
      # the native client would drop the connection.
      raise ArgumentError, "register handlers before the first call" if @native&.protocol_version || @dispatcher

      @handlers[kind] = block
      @native = nil # rebuilt with this handler on the next call
      self
    end

    # Runs an operation that sends requests, in a client span when OpenTelemetry is loaded.
    def run_request(name, fields, &on_progress)
      Tracing.call(self, @url, name, fields) { |meta| run(op(name, **fields, meta: meta), &on_progress) }
    end

    # Runs an operation; its result comes as JSON.parse would have read it. Progress blocks run
    # on this thread while the call waits (a failing block is reported, and the call goes on).
    def run(operation, &on_progress)
      Logging.ensure_thread if MCPStream.logger
      prepare_dispatcher
      progress = on_progress && ->(params) { report { on_progress.call(JSON.parse(params)) } }
      native.call(operation, progress)
    end

    # Before a call: a handler block calling its own client hands the dispatcher role on (the
    # client's other callbacks need a thread), and authorization may need its objects at any
    # call, so with those the dispatcher runs from the first one.
    # A dispatcher that died is replaced: after fork() only the forking thread lives on.
    def prepare_dispatcher
      if Thread.current.equal?(@dispatcher)
        hand_off_dispatcher
      elsif (@dispatcher || @on_authorize || @token_store) && !@dispatcher&.alive?
        start_dispatcher
      end
    end

    # Ruby code cannot run on the runtime's threads: handler jobs come to this thread instead.
    # Each dispatcher serves while its generation is current, so one can hand its role over.
    def start_dispatcher
      @lock.synchronize do
        @dispatcher = nil unless @dispatcher&.alive?
        @dispatcher ||= begin
          generation = (@dispatcher_generation += 1)
          Thread.new(native) do |client|
            Thread.current.name = "mcpstream-handlers"
            while @dispatcher_generation == generation
              (job = client.next_job) && dispatch(client, *job)
            end
          end
        end
      end
    end

    # This dispatcher thread is about to wait on a call whose own callbacks (progress, say)
    # must run meanwhile: a new thread takes over, and this one ends after its current job.
    def hand_off_dispatcher
      @lock.synchronize do
        @dispatcher_generation += 1
        @dispatcher = nil
      end
      start_dispatcher
    end

    def stop_dispatcher
      thread = @lock.synchronize do
        @dispatcher_generation += 1
        @dispatcher.tap { @dispatcher = nil }
      end
      # A handler that closes its own client ends its thread by returning, not by a kill.
      thread.kill.join if thread && !thread.equal?(Thread.current)
    end

    def dispatch(client, id, kind, first, second, third)
      case kind
      when "sampling", "elicitation", "roots"
        # Each on its own thread, so a slow handler blocks nothing else.
        Thread.new { answer(client, id, kind, @handlers.fetch(kind.to_sym), first) }
      when "notification" then report { @handlers.fetch(:notification).call(first, second && JSON.parse(second)) }
      when "session_change" then report { @handlers.fetch(:session_change).call(first, second, third.to_sym) }
      when "fence" then client.answer(id, "") # every job before this one has run
      # Each on its own thread: the user may take minutes, and stores may be called at once.
      when "authorize" then Thread.new { answer_auth(client, id) { AuthSettings.authorize(@on_authorize, first) } }
      when "token_store"
        Thread.new do
          answer_auth(client, id, store: first) { AuthSettings.store_call(@token_store, first, second, third) }
        end
      end
    end

    # An authorization callback's answer: {"result" => text or nil} or what it raised, which
    # the core reports as the reason authorization failed. The core only logs a failing
    # store, so the developer hears of it here. Answered whatever happens, so the core never
    # waits in vain.
    def answer_auth(client, id, store: nil)
      answer = { raised: { class: "ThreadError", message: "the callback's thread ended early" } }
      answer = { result: yield }
    rescue StandardError, ScriptError => e
      warn "mcpstream: token_store.#{store} raised #{e.class}: #{e.message}" if store
      answer = { raised: { class: e.class.name, message: e.message } }
    ensure
      client.answer(id, JSON.generate(answer))
    end

    # The binding kit's answer: the result, an RPCError the block raised, or any other error
    # (which the server receives as an internal error). Answered however the block ends, so the
    # server never waits in vain; a result the kit refuses (nil, a String) is also a warning
    # here, since the call that made the server ask may never say.
    def answer(client, id, kind, handler, params)
      answer = { raised: { class: "ThreadError", message: "the #{kind} block's thread ended before it returned" } }
      answer = { result: handler.call(params && JSON.parse(params)) }
    rescue RPCError => e
      answer = { error: { code: e.code, message: e.rpc_message, data: e.data } }
    rescue StandardError, ScriptError => e
      answer = { raised: { class: e.class.name, message: e.message } }
    ensure
      text = begin
        JSON.generate(answer)
      rescue StandardError => e
        JSON.generate({ raised: { class: e.class.name, message: e.message } })
      end
      complaint = NativeClient.refused_result(kind, text)
      warn "mcpstream: #{complaint}" if complaint
      client.answer(id, text)
    end

    # A failing callback must not stop the dispatcher; tell the developer and go on.
    def report
      yield
    rescue StandardError => e
      warn "mcpstream: handler raised #{e.class}: #{e.message}"
    end

    def parse_optional(text) = text && JSON.parse(text)
  end
end
