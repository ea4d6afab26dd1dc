"""A stand-in for a person's browser in authorization tests: ``fake_browser.py URL`` opens the
authorization URL, and follows the authorization server's redirect back to the client (its
loopback listener), as a browser would after the user approved. Set as ``BROWSER`` so that
``webbrowser.open`` (Python) or a ``system(BROWSER, url)`` (Ruby) runs it. Standard library
only; loopback URLs only."""

import sys
import urllib.error
import urllib.request


class _Manual(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def main(url: str) -> int:
    opener = urllib.request.build_opener(_Manual)
    try:
        opener.open(url, timeout=10)
        print("fake browser: the authorization server did not redirect", file=sys.stderr)
        return 1
    except urllib.error.HTTPError as answer:
        location = answer.headers.get("Location")
        if answer.code not in (301, 302, 303, 307, 308) or not location:
            print(f"fake browser: authorize answered {answer.code}", file=sys.stderr)
            return 1
    with urllib.request.urlopen(location, timeout=10) as page:
        page.read()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
