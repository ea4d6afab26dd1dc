# frozen_string_literal: true

module MCPStream
  # What a subscription reports, in order (frozen):
  #
  # - type :notification: a notification the filter asked for; method and params (whose
  #   params["_meta"]["io.modelcontextprotocol/subscriptionId"] names the subscription). The
  #   client's on_notification block gets it too.
  # - type :relistened: the stream dropped and the client listened again after attempts tries;
  #   acknowledged is the filter honoured now. Nothing sent in between was replayed: re-read
  #   whatever the subscription is about.
  # - type :ended: the last event. error is nil when the server ended the subscription, else
  #   the MCPStream::Error it ended with (listening again failed, say, or the subscription was
  #   made before fork and is read in the child).
  SubscriptionEvent = Struct.new(:type, :method, :params, :attempts, :acknowledged, :error, keyword_init: true)

  # An open subscriptions/listen (modern era), from Client#listen. Waiting releases the GVL,
  # and Interrupt, Thread#raise or Timeout.timeout stop a wait without ending the subscription.
  # It stays with the process that listened: in a child forked after listen the parent goes on
  # receiving, and here the first wait returns at once an :ended event whose error says so.
  class Subscription
    include Enumerable

    # The filter the server honours (it may have narrowed what was asked), e.g.
    # {"toolsListChanged" => true}.
    attr_reader :acknowledged

    def initialize(native)
      @native = native
      @acknowledged = JSON.parse(native.acknowledged)
    end

    # The next event, waiting at most timeout seconds (nil: as long as it takes); nil when none
    # came in time, after the :ended event, or once closed.
    def next_event(timeout: nil)
      text, error = @native.next_event(timeout)
      return nil unless text

      fields = JSON.parse(text)
      SubscriptionEvent.new(type: fields["type"].to_sym, method: fields["method"], params: fields["params"],
                            attempts: fields["attempts"], acknowledged: fields["acknowledged"], error: error).freeze
    end

    # Yields each event until the :ended one (or until closed).
    def each
      return enum_for(:each) unless block_given?

      while (event = next_event)
        yield event
      end
      self
    end

    # Ends the subscription (closes its stream); a wait in another thread returns nil.
    def close
      @native.close
      nil
    end

    def inspect = "#<#{self.class} #{@acknowledged}>"
  end
end
