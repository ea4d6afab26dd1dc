# frozen_string_literal: true

module MCPStream
  # The OAuth authorization code flow with PKCE, for a client acting for a user; pass it as
  # Client.new(url, auth: MCPStream::OAuth.new(...)). The flow itself (discovery, registration,
  # PKCE, refresh, step-up) runs in the native core; this object only carries settings.
  #
  # on_authorize (anything with #call, a lambda say) gets the authorization URL to show the
  # user (open a browser) and returns either the URL the browser was sent back to, or anything
  # else (nil, true) to let the client catch that redirect itself on redirect_uri
  # (http://127.0.0.1:<port>/<path>; port 0 picks a free one). It runs on a thread of its own.
  # Without on_authorize, calls that need the user raise AuthorizationRequired with the URL,
  # and Client#complete_authorization(callback_url) finishes the flow.
  #
  # client_id/client_secret: an app registered with the authorization server beforehand
  # (needed where it offers no dynamic registration). client_metadata_url: a Client ID
  # Metadata Document URL, used where the server supports those. scopes (a String or an Array):
  # what to ask for when the server's challenge names nothing. token_store: where tokens are
  # kept (default: this client's memory; a MemoryTokenStore, a FileTokenStore or any object
  # with load, save and delete). legacy_discovery: accept servers of revision 2025-03-26 that
  # publish no resource metadata. max_step_ups (1): re-authorizations for a wider scope per
  # request. authorization_timeout (300 s): how long to wait for the user; that wait does not
  # count against a request's timeout.
  class OAuth
    attr_reader :client_name, :redirect_uri, :on_authorize, :client_id, :client_secret, :client_metadata_url,
                :scopes, :token_store, :legacy_discovery, :max_step_ups, :authorization_timeout

    def initialize(client_name: "mcpstream", redirect_uri: "http://127.0.0.1:0/callback", on_authorize: nil,
                   client_id: nil, client_secret: nil, client_metadata_url: nil, scopes: nil, token_store: nil,
                   legacy_discovery: false, max_step_ups: nil, authorization_timeout: nil)
      unless on_authorize.nil? || on_authorize.respond_to?(:call)
        raise TypeError, "on_authorize must respond to call, not #{on_authorize.class}"
      end

      @client_name = client_name
      @redirect_uri = redirect_uri
      @on_authorize = on_authorize
      @client_id = client_id
      @client_secret = client_secret
      @client_metadata_url = client_metadata_url
      @scopes = AuthSettings.scopes(scopes)
      @token_store = AuthSettings.checked_store(token_store)
      @legacy_discovery = legacy_discovery
      @max_step_ups = max_step_ups
      @authorization_timeout = authorization_timeout
    end

    # Never shows the secret.
    def inspect = "#<#{self.class} client_name=#{@client_name.inspect} redirect_uri=#{@redirect_uri.inspect}>"
  end

  # The client_credentials grant, for a client acting as itself (machine to machine):
  # client_secret, or private_key_pem (PKCS#8 PEM) signing a JWT assertion with algorithm
  # "ES256" (default) or "RS256". Exactly one of the two (else Client.new raises
  # ArgumentError). scopes and token_store as for OAuth.
  class ClientCredentials
    attr_reader :client_id, :client_secret, :private_key_pem, :algorithm, :scopes, :token_store

    def initialize(client_id:, client_secret: nil, private_key_pem: nil, algorithm: "ES256", scopes: nil,
                   token_store: nil)
      @client_id = client_id
      @client_secret = client_secret
      @private_key_pem = private_key_pem
      @algorithm = algorithm
      @scopes = AuthSettings.scopes(scopes)
      @token_store = AuthSettings.checked_store(token_store)
    end

    # Never shows the secret or the key.
    def inspect = "#<#{self.class} client_id=#{@client_id.inspect}>"
  end

  # Tokens in this process's memory; share one instance between clients to share their
  # tokens. A token store is any object with these three methods; values are JSON-ready
  # Hashes the client writes and reads back, keys Strings it builds. Stores are called from
  # the client's threads, possibly at the same time.
  class MemoryTokenStore
    def initialize
      @values = {}
      @lock = Mutex.new
    end

    # A copy of the Hash saved under key, or nil.
    def load(key)
      text = @lock.synchronize { @values[key] }
      text && JSON.parse(text)
    end

    def save(key, value)
      text = JSON.generate(value)
      @lock.synchronize { @values[key] = text }
      nil
    end

    def delete(key)
      @lock.synchronize { @values.delete(key) }
      nil
    end

    def inspect = "#<#{self.class} with #{@lock.synchronize { @values.size }} entries>"
  end

  # Tokens in a JSON file (mode 0600, replaced atomically, locked against other processes
  # writing at the same time), for example "~/.config/myapp/mcp-tokens.json" (a leading ~/ is
  # the home directory). The native core reads and writes it.
  class FileTokenStore
    attr_reader :path

    # path: a String or a Pathname.
    def initialize(path)
      @path = File.path(path)
    end

    def inspect = "#<#{self.class} #{@path.inspect}>"
  end

  # What the native layer takes for auth: settings as JSON, and the objects it calls back as
  # jobs for the client's dispatcher.
  module AuthSettings
    STORE_METHODS = %i[load save delete].freeze

    module_function

    # Space-separated, as the core takes them.
    def scopes(scopes)
      return scopes if scopes.nil? || scopes.is_a?(String)
      return scopes.to_s if scopes.is_a?(Symbol)
      return scopes.map(&:to_s).join(" ") if scopes.is_a?(Enumerable) && !scopes.is_a?(Hash)

      raise TypeError, "scopes must be a String or an Array of Strings, not #{scopes.class}"
    end

    def checked_store(store)
      return store if store.nil? || store.is_a?(FileTokenStore) || STORE_METHODS.all? { |m| store.respond_to?(m) }

      raise TypeError, "token_store needs load, save and delete methods, not #{store.class}"
    end

    # [the auth option (a Hash), on_authorize or nil, a custom store or nil].
    def native(auth)
      unless auth.is_a?(OAuth) || auth.is_a?(ClientCredentials)
        raise TypeError, "auth must be MCPStream::OAuth or MCPStream::ClientCredentials, not #{auth.class}"
      end

      store = auth.token_store
      store_spec = case store
                   when nil then nil
                   when FileTokenStore then { kind: "file", path: store.path }
                   else { kind: "custom" }
                   end
      custom = store if store_spec&.fetch(:kind) == "custom"
      case auth
      when OAuth
        spec = { kind: "oauth", client_name: auth.client_name, redirect_uri: auth.redirect_uri,
                 client_id: auth.client_id, client_secret: auth.client_secret,
                 client_metadata_url: auth.client_metadata_url, scopes: auth.scopes,
                 legacy_discovery: auth.legacy_discovery, max_step_ups: auth.max_step_ups,
                 authorization_timeout: auth.authorization_timeout, token_store: store_spec }
        [spec.compact, auth.on_authorize, custom]
      else
        spec = { kind: "client_credentials", client_id: auth.client_id, client_secret: auth.client_secret,
                 private_key_pem: auth.private_key_pem, algorithm: auth.algorithm, scopes: auth.scopes,
                 token_store: store_spec }
        [spec.compact, nil, custom]
      end
    end

    # on_authorize's answer: the redirect URL, or nil to have the client listen for it.
    def authorize(on_authorize, url)
      returned = on_authorize.call(url)
      returned.is_a?(String) ? returned : nil
    end

    # One call on a custom store, with JSON text in and out.
    def store_call(store, method, key, text)
      case method
      when "load"
        value = store.load(key)
        unless value.nil? || value.is_a?(Hash)
          raise TypeError, "token_store.load must return a Hash or nil, not #{value.class}"
        end

        return value && JSON.generate(value)
      when "save" then store.save(key, JSON.parse(text))
      when "delete" then store.delete(key)
      else raise ArgumentError, "no token store method #{method}"
      end
      nil
    end
  end
  private_constant :AuthSettings
end
