// The live page: the server pushes the whole board, already rendered and escaped, whenever
// it changes; this script only swaps it in. The browser reconnects by itself (retry: 2 s).
(function () {
  'use strict';
  var board = document.getElementById('board');
  if (!board || !window.EventSource) return;
  var source = new EventSource('/console/live/events');
  source.addEventListener('board', function (e) {
    board.innerHTML = JSON.parse(e.data);
    document.body.classList.remove('offline');
  });
  source.onerror = function () {
    document.body.classList.add('offline');
  };
})();
