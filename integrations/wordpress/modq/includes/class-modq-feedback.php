<?php
/**
 * WordPress's own moderation actions become modq labels: Spam -> spam,
 * Not spam and Approve -> ham (modq's POST /v1/comments/<id>/feedback).
 *
 * @package modq
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Sends feedback when a moderator changes a comment modq knows; keeps what could not be
 * sent for WP-Cron.
 */
class Modq_Feedback {
	const META_UNSENT = '_modq_feedback_unsent';

	/** Hook into WordPress. */
	public static function register() {
		add_action( 'transition_comment_status', array( __CLASS__, 'on_transition' ), 10, 3 );
	}

	/**
	 * The label a status change teaches, or '' for none.
	 *
	 * @param string $new_status New status (approved, unapproved, spam, trash).
	 * @param string $old_status Old status.
	 * @return string
	 */
	public static function label( $new_status, $old_status ) {
		if ( 'spam' === $new_status ) {
			return 'spam';
		}
		if ( 'spam' === $old_status && in_array( $new_status, array( 'approved', 'unapproved' ), true ) ) {
			return 'ham'; // "Not spam"
		}
		if ( 'unapproved' === $old_status && 'approved' === $new_status ) {
			return 'ham'; // "Approve"
		}
		return '';
	}

	/**
	 * `transition_comment_status`.
	 *
	 * @param string     $new_status New status.
	 * @param string     $old_status Old status.
	 * @param WP_Comment $comment    The comment.
	 */
	public static function on_transition( $new_status, $old_status, $comment ) {
		if ( Modq_Comments::$applying || ! Modq_Settings::configured() ) {
			return; // modq's own decision, applied by this plugin: nothing to teach
		}
		$label = self::label( $new_status, $old_status );
		$id    = (int) $comment->comment_ID;
		if ( '' === $label || ! get_comment_meta( $id, Modq_Comments::META_ID, true ) ) {
			return;
		}
		if ( ! self::send( $id, $label ) ) {
			update_comment_meta( $id, self::META_UNSENT, $label );
			Modq_Comments::schedule();
		}
	}

	/**
	 * Send one label; whether modq took it (or refused it for good).
	 *
	 * @param int    $id    The comment id.
	 * @param string $label spam or ham.
	 * @return bool
	 */
	public static function send( $id, $label ) {
		$answer = Modq_Client::feedback( (string) get_comment_meta( $id, Modq_Comments::META_ID, true ), $label );
		if ( is_wp_error( $answer ) ) {
			$data   = $answer->get_error_data();
			$status = is_array( $data ) && isset( $data['status'] ) ? (int) $data['status'] : 0;
			return in_array( $status, array( 400, 404, 409, 422 ), true ); // final: do not retry
		}
		delete_comment_meta( $id, self::META_UNSENT );
		Modq_Comments::remember( $id, $answer );
		return true;
	}

	/** WP-Cron: send the labels that could not be sent; whether none is left. */
	public static function resend() {
		$comments = get_comments(
			array(
				'meta_key' => self::META_UNSENT, // phpcs:ignore WordPress.DB.SlowDBQuery
				'status'   => 'any',
				'number'   => Modq_Comments::BATCH,
			)
		);
		$all = true;
		foreach ( $comments as $comment ) {
			$id = (int) $comment->comment_ID;
			if ( self::send( $id, (string) get_comment_meta( $id, self::META_UNSENT, true ) ) ) {
				delete_comment_meta( $id, self::META_UNSENT );
			} else {
				$all = false;
			}
		}
		return $all;
	}
}
